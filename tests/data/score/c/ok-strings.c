#include <string.h>
#include <ctype.h>

/* Reverse a string in place; "quotes { and } in strings" must not confuse anyone. */
void reverse(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n / 2; i++) {
        char t = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = t;
    }
}

int count_upper(const char *s)
{
    int count = 0;
    while (*s)
        count += isupper((unsigned char)*s++) ? 1 : 0;
    return count;
}

const char *brace = "}";
char quote = '\'';
