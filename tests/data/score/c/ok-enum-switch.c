#include <stdio.h>

enum color { RED, GREEN = 5, BLUE };

static const char *name(enum color c)
{
    switch (c) {
    case RED:
        return "red";
    case GREEN:
        return "green";
    default:
        break;
    }
    return "blue";
}

int main(void)
{
    for (int c = RED; c <= BLUE; c++)
        puts(name((enum color)c));
    return 0;
}
