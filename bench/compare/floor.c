/* The floor of the cross-library comparison (bench/compare/run): maps the
 * file and counts record terminators (0x1D) with memchr. No record is
 * parsed; this is what touching every byte once costs.
 *
 *   floor t1 FILE      prints records=N
 *
 * SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3 || strcmp(argv[1], "t1") != 0) {
        fprintf(stderr, "usage: floor t1 FILE\n");
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
    if (size > 0) {
        const char *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) {
            perror(argv[2]);
            return 2;
        }
        const char *p = data, *end = data + size;
        while ((p = memchr(p, 0x1D, (size_t) (end - p))) != NULL) {
            ++records;
            ++p;
        }
        munmap((void *) data, size);
    }
    close(fd);
    printf("records=%llu\n", records);
    return 0;
}
