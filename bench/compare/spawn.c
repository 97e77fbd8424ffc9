/* Runs a program and reports its wall-clock time and peak RSS, for the
 * cross-library comparison (bench/compare/run).
 *
 *   spawn REPORT [--copies N] PROGRAM [ARG...]
 *
 * Writes "WALL_SECONDS PEAK_RSS_KB EXIT_STATUS CPU_SECONDS" (CPU: user plus
 * system time of PROGRAM and its children) to the file REPORT and exits
 * 0 (2 if PROGRAM could not be run). Standard input, output and error are
 * PROGRAM's. This small process forks PROGRAM itself because a process's
 * peak RSS (getrusage/wait4 ru_maxrss) includes the memory of the process
 * it was forked from, up to its exec: a child forked by the runner would
 * report the runner's memory.
 *
 * With --copies N, N copies of PROGRAM start at once: the wall time is until
 * the last one ends, the peak RSS the largest of theirs, the CPU time their
 * sum, and the exit status the first that is not 0 (0 if none). The runner
 * uses it to see how much of N-fold work this machine gets done in parallel
 * by N processes that share nothing.
 *
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { max_copies = 64 };

static int usage(void) {
    fprintf(stderr, "usage: spawn REPORT [--copies N] PROGRAM [ARG...]\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    int prog = 2;
    long copies = 1;
    if (strcmp(argv[2], "--copies") == 0) {
        char *end = NULL;
        if (argc < 5) return usage();
        copies = strtol(argv[3], &end, 10);
        if (*argv[3] == '\0' || *end != '\0' || copies < 1 || copies > max_copies) {
            fprintf(stderr, "spawn: --copies takes a number from 1 to %d, not '%s'\n", max_copies, argv[3]);
            return 2;
        }
        prog = 4;
    }
    FILE *report = fopen(argv[1], "w");
    if (!report) {
        perror(argv[1]);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pids[max_copies];
    long started = 0;
    for (; started < copies; ++started) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            break;
        }
        if (pid == 0) {
            execvp(argv[prog], argv + prog);
            perror(argv[prog]);
            _exit(127);
        }
        pids[started] = pid;
    }
    int code = started == copies ? 0 : 2;
    long max_rss = 0;
    double cpu = 0;
    for (long i = 0; i < started; ++i) {
        int status = 0;
        struct rusage ru;
        if (wait4(pids[i], &status, 0, &ru) < 0) {
            perror("wait4");
            return 2;
        }
        int c = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code == 0) code = c;
        if (ru.ru_maxrss > max_rss) max_rss = ru.ru_maxrss;
        cpu += (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(report, "%.6f %ld %d %.6f\n", wall, max_rss, code, cpu);
    return fclose(report) == 0 ? (code == 127 ? 2 : 0) : 2;
}
