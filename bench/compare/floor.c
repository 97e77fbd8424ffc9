/* The floor of the cross-library comparison (bench/compare/run): maps the
 * file (or, with --read, reads it through one 1 MiB buffer) and counts
 * record terminators (0x1D) with memchr. No record is parsed; this is what
 * touching every byte once costs.
 *
 *   floor [--read] t1 FILE      prints records=N
 *
 * SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long count(const char *p, const char *end) {
    unsigned long long n = 0;
    while ((p = memchr(p, 0x1D, (size_t) (end - p))) != NULL) {
        ++n;
        ++p;
    }
    return n;
}

int main(int argc, char **argv) {
    int use_read = argc > 1 && strcmp(argv[1], "--read") == 0;
    if (use_read) {
        --argc;
        ++argv;
    }
    if (argc < 3 || strcmp(argv[1], "t1") != 0) {
        fprintf(stderr, "usage: floor [--read] t1 FILE\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 2;
    }
    size_t size = (size_t) st.st_size;
    unsigned long long records = 0;
    if (use_read) {
        enum { chunk = 1 << 20 };
        char *buf = malloc(chunk);
        ssize_t got;
        if (!buf) return 2;
        while ((got = read(fd, buf, chunk)) > 0) records += count(buf, buf + got);
        if (got < 0) {
            perror(argv[2]);
            return 2;
        }
        free(buf);
    } else if (size > 0) {
        const char *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) {
            perror(argv[2]);
            return 2;
        }
        records = count(data, data + size);
        munmap((void *) data, size);
    }
    close(fd);
    printf("records=%llu\n", records);
    return 0;
}
