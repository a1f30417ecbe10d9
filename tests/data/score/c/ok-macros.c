#include <stdio.h>
#define SQUARE(x) ((x) * (x))
#define LOG(fmt, ...) \
    fprintf(stderr, fmt "\n", __VA_ARGS__)

#if defined(DEBUG)
static int debug = 1;
#else
static int debug = 0;
#endif

int main(void)
{
    int n = SQUARE(7);
    if (debug)
        LOG("n = %d", n);
    return n == 49 ? 0 : 1;
}
