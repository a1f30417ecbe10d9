#include <stdlib.h>

typedef int (*compare_fn)(const void *, const void *);

static int by_value(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

struct ops {
    compare_fn compare;
    void (*sort)(void *, size_t, size_t, compare_fn);
};

static const struct ops default_ops = { .compare = by_value, .sort = qsort };

void sort_ints(int *v, size_t n)
{
    default_ops.sort(v, n, sizeof v[0], default_ops.compare);
}
