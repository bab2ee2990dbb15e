#include "jansson_arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* AddressSanitizer's poisoning, when the process runs under it (weak: absent otherwise), so a
 * use after free inside a block is caught as it would be with malloc. */
extern void __asan_poison_memory_region(void const volatile *address, size_t size) __attribute__((weak));
extern void __asan_unpoison_memory_region(void const volatile *address, size_t size) __attribute__((weak));
#define ARENA_POISON(p, n) (__asan_poison_memory_region ? __asan_poison_memory_region((p), (n)) : (void)0)
#define ARENA_UNPOISON(p, n) (__asan_unpoison_memory_region ? __asan_unpoison_memory_region((p), (n)) : (void)0)

enum {
    BLOCK_SIZE = 64 * 1024,
    SMALL_LIMIT = 1024,
    ALIGN = 16,
    HEADER = 16, /* before each allocation: its block (NULL for a large one) and its size */
};

typedef struct block {
    /* Allocations not yet freed, plus one while the block is a thread's current block. */
    _Atomic int64_t live;
    size_t used;
    _Alignas(ALIGN) unsigned char data[];
} block;

typedef struct {
    block *owner;
    size_t size;
} header;

static _Thread_local block *current;
static pthread_key_t current_key; /* its destructor lets go of an exiting thread's block */
static int installed;
static _Atomic int64_t blocks_made, blocks_returned, large_live;

static void release(block *b) {
    if (atomic_fetch_sub_explicit(&b->live, 1, memory_order_acq_rel) == 1) {
        atomic_fetch_add_explicit(&blocks_returned, 1, memory_order_relaxed);
        ARENA_UNPOISON(b, BLOCK_SIZE);
        free(b);
    }
}

static void thread_exit(void *value) {
    if (value) release((block *)value);
    current = NULL;
}

static void *arena_malloc(size_t size) {
    size_t need = (HEADER + size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    unsigned char *chunk;
    if (size > SMALL_LIMIT) {
        chunk = malloc(HEADER + size);
        if (!chunk) return NULL;
        ((header *)chunk)->owner = NULL;
        atomic_fetch_add_explicit(&large_live, 1, memory_order_relaxed);
    } else {
        block *b = current;
        if (!b || b->used + need > BLOCK_SIZE - sizeof(block)) {
            block *fresh = malloc(BLOCK_SIZE);
            if (!fresh) return NULL;
            atomic_init(&fresh->live, 1);
            fresh->used = 0;
            ARENA_POISON(fresh->data, BLOCK_SIZE - sizeof(block));
            atomic_fetch_add_explicit(&blocks_made, 1, memory_order_relaxed);
            current = fresh;
            pthread_setspecific(current_key, fresh);
            if (b) release(b);
            b = fresh;
        }
        chunk = b->data + b->used;
        b->used += need;
        atomic_fetch_add_explicit(&b->live, 1, memory_order_relaxed);
        ARENA_UNPOISON(chunk, HEADER + size);
        ((header *)chunk)->owner = b;
    }
    ((header *)chunk)->size = size;
    return chunk + HEADER;
}

static void arena_free(void *pointer) {
    if (!pointer) return;
    unsigned char *chunk = (unsigned char *)pointer - HEADER;
    block *owner = ((header *)chunk)->owner;
    if (!owner) {
        atomic_fetch_sub_explicit(&large_live, 1, memory_order_relaxed);
        free(chunk);
        return;
    }
    ARENA_POISON(chunk, HEADER + ((header *)chunk)->size);
    release(owner);
}

__attribute__((constructor)) static void install(void) {
    const char *setting = getenv("OFFER_CANCEL_JANSSON_ARENA");
    if (setting && strcmp(setting, "0") == 0) return;
    if (pthread_key_create(&current_key, thread_exit) != 0) return;
    json_set_alloc_funcs(arena_malloc, arena_free);
    installed = 1;
}

jansson_arena_stats jansson_arena_statistics(void) {
    jansson_arena_stats stats = {
        .installed = installed,
        .blocksMade = atomic_load(&blocks_made),
        .blocksReturned = atomic_load(&blocks_returned),
        .largeLive = atomic_load(&large_live),
    };
    return stats;
}
