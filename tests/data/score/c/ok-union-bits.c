#include <stdint.h>

union word {
    uint32_t u;
    float f;
    unsigned char bytes[4];
};

struct flags {
    unsigned int ready : 1;
    unsigned int error : 1;
    unsigned int count : 6;
};

uint32_t float_bits(float f)
{
    union word w;
    w.f = f;
    return w.u;
}

int is_ready(const struct flags *f) { return f->ready && !f->error; }
