#include <stddef.h>

struct entry {
    const char *key;
    int value;
};

static const struct entry table[] = {
    { "one", 1 },
    { "two", 2 },
    { "three", 3 },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int lookup(const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        const char *a = table[i].key, *b = key;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return table[i].value;
    }
    return -1;
}
