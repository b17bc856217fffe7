// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A GCC 12 bug, kept as a libbpf failure: GCC writes `int matrix[3][5]` to
 * BTF as an array of 5 arrays of 3 ints (dimensions reversed), so the
 * access string 0:13:2:4 of matrix[2][4] indexes element 4 of a 3-element
 * array and libbpf cannot parse the spec ("parsing ... failed: -22").
 */
#include "gcc_common.h"
#include "../test_types.h"

SEC("raw_tp/corex_matrix")
int gcc_matrix(u64 *ctx)
{
	struct corex_test_s *s = (void *)ctx[0];

	return __builtin_preserve_access_index(s->matrix[2][4]);
}
