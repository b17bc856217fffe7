/* Name clashes for the C dumper: the same struct, union, enum and typedef
 * names defined in different scopes get ___N suffixes; enumerators share the
 * namespace of typedef names; forward declarations keep their plain name.
 */
struct dup {
	int a;
};

enum color {
	RED,
	GREEN,
};

typedef int my_t;

struct dup g_dup;
enum color g_color;
my_t g_my;

int in_scope_struct(void)
{
	static volatile struct dup {
		long b;
		char c;
	} s;
	return s.c;
}

int in_scope_enum(void)
{
	static volatile enum color {
		RED = 5,
		BLUE,
	} c;
	return c;
}

int in_scope_typedef(void)
{
	typedef long my_t;
	static volatile my_t m;
	return m;
}

int in_scope_union(void)
{
	static volatile union dup {
		int x;
		char y;
	} u;
	return u.x;
}

int in_scope_fwd(void)
{
	struct dup;
	static struct dup *volatile p;
	return p != 0;
}

int ident_clash(void)
{
	typedef short GREEN;
	static volatile GREEN g;
	return g;
}

int type_id_only(void)
{
	return __builtin_btf_type_id(*(struct dup { char q[3]; } *)0, 0) +
	       __builtin_btf_type_id(*(struct dup___2 { char r; } *)0, 0);
}
