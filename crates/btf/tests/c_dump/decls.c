/* Declarators and type kinds for the C dumper: function pointers, arrays of
 * them, functions returning function pointers, typedef chains, qualifiers,
 * forward declarations, type and declaration tags, floats, enums, globals.
 */
#define __tag(x) __attribute__((btf_type_tag(x)))
#define __decl(x) __attribute__((btf_decl_tag(x)))

typedef __builtin_va_list va_list;
typedef int (*printf_fn)(void *ctx, const char *fmt, ...);
typedef void (*handlers_t[4])(int);
typedef struct ops ops_t;
typedef ops_t ops_alias_t;
typedef const ops_alias_t *ops_cptr_t;
typedef ops_cptr_t ops_cptr_arr_t[2];
typedef struct {
	int x;
} anon_struct_t;
typedef union {
	int a;
	float b;
} anon_union_t;
typedef enum {
	TE_A = 1,
	TE_B,
} anon_enum_t;
typedef struct list_node list_node_t;
typedef struct tnode *tnode_p;

enum small_enum {
	SMALL_A,
	SMALL_B,
} __attribute__((packed));

enum wide_enum {
	WIDE_A = 1,
	WIDE_B = 0xffffffff,
};

enum neg_enum {
	NEG_A = -2,
	NEG_B = 3,
};

struct list_node {
	list_node_t *next;
	int v;
};

struct tnode {
	tnode_p left;
	tnode_p right;
	struct tnode *parent;
};

struct a_s;

struct b_s {
	struct a_s *a;
	struct c_s *c;
};

struct a_s {
	struct b_s b;
	struct a_s *self;
};

struct c_s {
	struct b_s b[2];
};

struct tagged {
	int plain __decl("member_tag");
	int __tag("user") *user_ptr;
	struct ops __tag("rcu") __tag("percpu") *rcu_ops;
	const int __tag("ro") *const_tagged;
} __decl("struct_tag");

struct ops {
	int (*open)(struct ops *self, unsigned int flags);
	void (*close)(void);
	long (*arr_of_fp[3])(int, char);
	int (*(*fp_returning_fp)(int))(long);
	char *(*(*ptr_to_arr_of_fp)[2])(void);
	int (*(*fp_returning_arr_ptr)(void))[4];
	printf_fn log;
	handlers_t handlers;
	const volatile int *cv_ptr;
	int *const const_ptr;
	int *volatile *restrict rv_ptr;
	const char *const *strs;
	struct fwd_only *opaque;
	union fwd_union *opaque_u;
	float f;
	double d;
	long double ld;
	_Bool flag;
	__int128 i128;
	unsigned __int128 u128;
	int matrix[2][3];
	int (*ptr_to_arr)[5];
	int *arr_of_ptr[5];
	const int carr[2];
	volatile long varr[2][2];
	enum {
		ANON_A,
		ANON_B = 7,
	} anon_enum_member;
	enum small_enum se;
	enum wide_enum we;
	enum neg_enum ne;
	signed char sc;
	unsigned char uc;
	va_list *vap;
	anon_struct_t as;
	anon_union_t au;
	anon_enum_t ae;
	ops_cptr_arr_t cptrs;
	struct tagged tg;
	list_node_t head;
	struct a_s as2;
	struct {
		void (*cb)(struct ops *);
	} anon_cb;
};

ops_t g_ops;
ops_cptr_t g_ops_cptr;
struct tnode g_tnode;
const volatile int g_cv = 3;
int g_decl_tagged __decl("var_tag") = 1;
long g_arr[8];
static volatile char g_static_chars[16];

int __decl("fn_tag") use_ops(struct ops *o, int n __decl("param_tag"))
{
	return o->open(o, n) + g_static_chars[n & 15];
}

long many_args(long a, char b, short c, const void *d, struct list_node *e)
{
	return a + b + c + (long)d + e->v;
}
