/* YAZ's program for the cross-library comparison (bench/compare/run), on
 * libyaz's public MARC API (yaz/marcdisp.h).
 *
 *   yaz_tasks TASK FILE [OUT]
 *
 * Prints one line of counts, in the format every program of the comparison
 * prints (t1: records= fields=; t2: records= fields= sum=; t3, t4:
 * records=). The tasks are defined in docs/benchmarks.md.
 *
 * The file is memory-mapped and cut into records by their leader length, as
 * yaz-marcdump cuts them (bytes before a leader that are not digits are
 * skipped; a record whose last byte is not 0x1D is extended to the next
 * 0x1D). Each record is parsed with yaz_marc_read_iso2709.
 *
 * libyaz has no public accessor for the fields of a parsed record. For t1
 * and t2 the record is written with the line writer (yaz_marc_write_line)
 * with the subfield mark set to 0x1F and the end of line to 0x1E, bytes no
 * value can hold, and the output is split at those bytes:
 *
 *   { "(" comment ")\n" } LEADER "\n" { "(" comment ")\n" } { TAG " " DATA 0x1E
 *                                      | TAG " " INDICATORS { 0x1F CODE " " VALUE } 0x1E } "\n"
 *
 * t3 writes each record with yaz_marc_write_iso2709, t4 with
 * yaz_marc_write_marcxml, to OUT (default /dev/null).
 *
 * Records yaz cannot read (yaz_marc_read_iso2709 returns -1), and records
 * on which it comments (its "(...)" lines, which come before the leader or
 * the field they are about; seen by t1 and t2 only), are counted on
 * standard error with the first comment, and the exit status is then 1, so
 * that the comparison can tell them apart from a difference in counting.
 *
 * SPDX-License-Identifier: MIT */
#include <yaz/marcdisp.h>
#include <yaz/wrbuf.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct counts {
    unsigned long long records, fields, sum;
};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The first comment yaz made, shown on standard error as an example. */
static char first_comment[256];

/* Skips the comment lines at p ("(" ... ")\n"); returns where they end and
 * sets *commented if there were any. */
static const char *skip_comments(const char *p, const char *end, int *commented) {
    while (p < end && *p == '(') {
        const char *e = memchr(p, '\n', (size_t) (end - p));
        if (!first_comment[0]) {
            size_t n = (size_t) ((e ? e : end) - p);
            if (n >= sizeof first_comment)
                n = sizeof first_comment - 1;
            memcpy(first_comment, p, n);
        }
        *commented = 1;
        p = e ? e + 1 : end;
    }
    return p;
}

/* Adds up one record's line output. Returns 1 if yaz commented on it. */
static int count_line_output(const char *p, size_t n, int task, struct counts *c) {
    const char *end = p + n;
    int ind_len = 2, commented = 0, found_245 = 0;
    p = skip_comments(p, end, &commented);
    const char *nl = memchr(p, '\n', (size_t) (end - p));
    if (!nl)
        return 1;
    if (nl - p >= 11 && is_digit(p[10]))
        ind_len = p[10] - '0';
    p = nl + 1;
    for (;;) {
        p = skip_comments(p, end, &commented);
        const char *fe = memchr(p, 0x1E, (size_t) (end - p));
        if (!fe)
            break;
        ++c->fields;
        if (task == 2 && fe - p >= 4) {
            const char *tag = p, *d = p + 4;
            int data_field = memcmp(tag, "00", 2) != 0 ||
                             (fe - d > ind_len && d[ind_len] == 0x1F);
            if (!data_field) {
                c->sum += (unsigned long long) (fe - d);
            } else {
                int is_245 = !found_245 && memcmp(tag, "245", 3) == 0, a_seen = 0;
                const char *s = memchr(d, 0x1F, (size_t) (fe - d));
                found_245 |= is_245;
                while (s) {
                    const char *next = memchr(s + 1, 0x1F, (size_t) (fe - s - 1));
                    const char *se = next ? next : fe;
                    /* 0x1F, the code (one byte), the blank yaz inserts, the value */
                    size_t value = se - s >= 3 ? (size_t) (se - s - 3) : 0;
                    c->sum += value;
                    if (is_245 && !a_seen && se - s >= 2 && s[1] == 'a') {
                        c->sum += value;
                        a_seen = 1;
                    }
                    s = next;
                }
            }
        }
        p = fe + 1;
    }
    return commented;
}

int main(int argc, char **argv) {
    int task;
    if (argc < 3 || strlen(argv[1]) != 2 || argv[1][0] != 't' || argv[1][1] < '1' || argv[1][1] > '4') {
        fprintf(stderr, "usage: yaz_tasks t1|t2|t3|t4 FILE [OUT]\n");
        return 2;
    }
    task = argv[1][1] - '0';
    const char *out_path = argc > 3 ? argv[3] : "/dev/null";

    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 2;
    }
    size_t size = (size_t) st.st_size;
    const char *data = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : "";
    if (data == MAP_FAILED) {
        perror(argv[2]);
        return 2;
    }
    FILE *out = NULL;
    if (task >= 3) {
        out = fopen(out_path, "wb");
        if (!out) {
            perror(out_path);
            return 2;
        }
    }

    yaz_marc_t mt = yaz_marc_create();
    yaz_marc_subfield_str(mt, "\x1F");
    yaz_marc_endline_str(mt, "\x1E");
    if (task == 4)
        yaz_marc_enable_collection(mt);
    WRBUF w = wrbuf_alloc();
    struct counts c = {0, 0, 0};
    unsigned long long unreadable = 0, commented = 0, skipped_bytes = 0;
    size_t pos = 0;
    int status = 0;

    while (size - pos >= 5) {
        if (!is_digit(data[pos])) {
            ++pos;
            ++skipped_bytes;
            continue;
        }
        size_t len = 0;
        for (int i = 0; i < 5; ++i)
            len = len * 10 + (is_digit(data[pos + i]) ? (size_t) (data[pos + i] - '0') : 0);
        if (len < 25 || len > 100000) {
            fprintf(stderr, "yaz_tasks: bad record length %zu at offset %zu; reading stops\n", len, pos);
            status = 1;
            break;
        }
        if (len > size - pos) {
            fprintf(stderr, "yaz_tasks: the file ends inside the record at offset %zu\n", pos);
            status = 1;
            break;
        }
        while (data[pos + len - 1] != 0x1D && pos + len < size)
            ++len;
        if (yaz_marc_read_iso2709(mt, data + pos, (int) len) <= 0) {
            ++unreadable;
            pos += len;
            continue;
        }
        pos += len;
        wrbuf_rewind(w);
        switch (task) {
        case 1:
        case 2:
            ++c.records;
            yaz_marc_write_line(mt, w);
            commented += (unsigned) count_line_output(wrbuf_buf(w), wrbuf_len(w), task, &c);
            break;
        case 3:
            if (yaz_marc_write_iso2709(mt, w) == 0)
                ++c.records;
            break;
        case 4:
            if (yaz_marc_write_marcxml(mt, w) == 0)
                ++c.records;
            break;
        }
        if (out && wrbuf_len(w))
            fwrite(wrbuf_buf(w), 1, wrbuf_len(w), out);
    }
    if (task == 4) {
        wrbuf_rewind(w);
        yaz_marc_write_trailer(mt, w);
        fwrite(wrbuf_buf(w), 1, wrbuf_len(w), out);
    }
    if (out && fclose(out) != 0) {
        perror(out_path);
        status = 2;
    }
    if (unreadable || commented || skipped_bytes) {
        fprintf(stderr, "yaz_tasks: %llu record(s) unreadable, %llu commented on, %llu byte(s) skipped\n",
                unreadable, commented, skipped_bytes);
        if (first_comment[0])
            fprintf(stderr, "yaz_tasks: the first comment: %s\n", first_comment);
        if (status == 0)
            status = 1;
    }
    wrbuf_destroy(w);
    yaz_marc_destroy(mt);
    if (task == 1)
        printf("records=%llu fields=%llu\n", c.records, c.fields);
    else if (task == 2)
        printf("records=%llu fields=%llu sum=%llu\n", c.records, c.fields, c.sum);
    else
        printf("records=%llu\n", c.records);
    return status;
}
