#include <stdlib.h>

int *make(size_t n)
{
    int *p = calloc(n, sizeof *p);
    if (p == NULL) {
        return NULL;
    return p;
}
