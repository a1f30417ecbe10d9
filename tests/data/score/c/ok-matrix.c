#include <stddef.h>

#define N 4

void multiply(double a[N][N], double b[N][N], double out[N][N])
{
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double sum = 0.0;
            for (size_t k = 0; k < N; k++)
                sum += a[i][k] * b[k][j];
            out[i][j] = sum;
        }
}

static const double identity[N][N] = {
    {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1},
};

const double (*get_identity(void))[4] { return identity; }
