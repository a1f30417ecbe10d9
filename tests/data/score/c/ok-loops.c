#include <stdio.h>

int gcd(int a, int b)
{
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int main(void)
{
    int i = 0;
    do {
        i++;
        if (i % 3 == 0)
            continue;
        printf("%d %d\n", i, gcd(i, 12));
    } while (i < 10);
    goto done;
done:
    return 0;
}
