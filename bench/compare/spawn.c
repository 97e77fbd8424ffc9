/* Runs a program and reports its wall-clock time and peak RSS, for the
 * cross-library comparison (bench/compare/run).
 *
 *   spawn REPORT PROGRAM [ARG...]
 *
 * Writes "WALL_SECONDS PEAK_RSS_KB EXIT_STATUS CPU_SECONDS" (CPU: user plus
 * system time of PROGRAM and its children) to the file REPORT and exits
 * 0 (2 if PROGRAM could not be run). Standard input, output and error are
 * PROGRAM's. This small process forks PROGRAM itself because a process's
 * peak RSS (getrusage/wait4 ru_maxrss) includes the memory of the process
 * it was forked from, up to its exec: a child forked by the runner would
 * report the runner's memory.
 *
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: spawn REPORT PROGRAM [ARG...]\n");
        return 2;
    }
    FILE *report = fopen(argv[1], "w");
    if (!report) {
        perror(argv[1]);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double cpu = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fprintf(report, "%.6f %ld %d %.6f\n", wall, ru.ru_maxrss, code, cpu);
    return fclose(report) == 0 ? (code == 127 ? 2 : 0) : 2;
}
