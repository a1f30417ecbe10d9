#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

static struct node *push(struct node *head, int value)
{
    struct node *n = malloc(sizeof *n);
    if (n == NULL)
        return head;
    n->value = value;
    n->next = head;
    return n;
}

static void free_list(struct node *head)
{
    while (head) {
        struct node *next = head->next;
        free(head);
        head = next;
    }
}

int main(void)
{
    struct node *list = NULL;
    for (int i = 0; i < 10; i++)
        list = push(list, i);
    free_list(list);
    return 0;
}
