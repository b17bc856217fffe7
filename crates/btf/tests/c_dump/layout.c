/* Struct and union layouts for the C dumper: bitfields, holes, tail padding,
 * packing, over-alignment, anonymous members, empty and flexible structs.
 * Every type is reached from a global variable so that it lands in .BTF.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct bitfields {
	u8 a: 1;
	u8 b: 3;
	u32 c: 20;
	u64 d: 40;
	int e: 5;
	long f;
	short g: 7;
	char h;
	u64 i: 33;
	u64: 0;
	u32 j: 2;
	int k: 1;
};

struct holes {
	char a;
	long b;
	char c;
	int d;
	short e;
	long long f;
	char g;
};

struct tail_pad {
	long a;
	char b;
};

struct packed_plain {
	char a;
	int b;
	short c;
} __attribute__((packed));

struct packed_but_natural {
	int a;
	int b;
} __attribute__((packed));

struct inner_packed {
	char c;
	long l;
} __attribute__((packed));

struct outer_with_packed {
	char a;
	struct inner_packed b;
	int c;
};

struct packed_outer {
	char a;
	struct inner_packed b;
	short s;
} __attribute__((packed));

struct packed_bits {
	u8 a: 4;
	u32 b: 28;
	u8 c;
	u64 d: 50;
} __attribute__((packed));

struct aligned16 {
	int a;
} __attribute__((aligned(16)));

struct has_aligned {
	char c;
	struct aligned16 x;
	char d;
};

struct over_aligned_member {
	char c;
	int x __attribute__((aligned(16)));
	char d;
	long y __attribute__((aligned(64)));
};

struct bitfield_then_aligned {
	int a: 3;
	int b: 9;
	long c __attribute__((aligned(16)));
	char d: 1;
	char e __attribute__((aligned(8)));
};

union basic_union {
	int i;
	char c[7];
	long l;
	struct {
		short lo;
		short hi;
	};
};

struct anon_members {
	int kind;
	union {
		struct {
			int x;
			int y;
		} point;
		struct {
			u8 r;
			u8 g;
			u8 b;
		};
		long raw;
	};
	struct {
		int nested_a;
		union {
			int v1;
			float v2;
		};
		struct {
			struct {
				char deepest;
			} d3;
		} d2;
	} inner;
	struct {
		char deep[3];
	} *ptr_to_anon;
	union {
		struct {
			u32 lo: 12;
			u32 hi: 20;
		};
		u32 word;
	} bits;
};

struct empty {};

struct with_empty {
	int a;
	struct empty e;
	int b;
	struct empty tail;
};

struct flex {
	int n;
	char data[];
};

struct zero_len {
	int n;
	long data[0];
};

struct char_bits {
	char a: 2;
	char b: 3;
	char c;
	short d: 9;
	char e: 1;
};

struct arrays {
	int m[2][3][4];
	char s[5];
	struct tail_pad tp[3];
	u16 h[2][1];
};

struct big_tail_gap {
	char a;
	char b __attribute__((aligned(128)));
};

struct bitfields g_bitfields;
struct holes g_holes;
struct tail_pad g_tail_pad;
struct packed_plain g_packed_plain;
struct packed_but_natural g_packed_but_natural;
struct outer_with_packed g_outer_with_packed;
struct packed_outer g_packed_outer;
struct packed_bits g_packed_bits;
struct has_aligned g_has_aligned;
struct over_aligned_member g_over_aligned_member;
struct bitfield_then_aligned g_bitfield_then_aligned;
union basic_union g_basic_union;
struct anon_members g_anon_members;
struct with_empty g_with_empty;
struct flex *g_flex;
struct zero_len g_zero_len;
struct char_bits g_char_bits;
struct arrays g_arrays;
struct big_tail_gap g_big_tail_gap;
