/*
 * reaper: runs a command and measures the wall time and the CPU time of its whole process tree.
 *
 *   reaper RESULT.json TIMEOUT_S CMD [ARG...]
 *
 * /usr/bin/time (wait4 rusage) only counts descendants that their own parents reaped: a browser
 * killed before it reaps its renderer/GPU/zygote children leaves them to init, and their CPU time
 * is lost (measured here: 4.4 s reported for a Frameloom render whose tree used 8.2 s). This
 * process makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so every orphan of the tree is
 * re-parented to it; it reaps all of them, and RUSAGE_CHILDREN then holds the CPU time of every
 * process the command started.
 *
 * The command runs in its own process group. "wall_s" ends when the command itself exits;
 * descendants still alive "grace" seconds later are killed and counted in "leftover". On timeout
 * (or SIGTERM/SIGINT to the reaper) the group and all orphans are killed and "timed_out" is set.
 * The command's exit status is the reaper's ("exit", or 128+signal in "signal").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIGKILLs every live process whose parent is this one (orphans re-parented here). Returns how many. */
static int kill_direct_children(void) {
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  pid_t self = getpid();
  int killed = 0;
  struct dirent *e;
  while ((e = readdir(proc)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
    if (!rp) continue;
    char state;
    long ppid;
    if (sscanf(rp + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == self && state != 'Z') {
      kill((pid_t)pid, SIGKILL);
      killed++;
    }
  }
  closedir(proc);
  return killed;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: reaper RESULT.json TIMEOUT_S CMD [ARG...]\n");
    return 2;
  }
  const char *result_path = argv[1];
  double timeout_s = atof(argv[2]);
  const double grace_s = 5.0;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    perror("reaper: prctl(PR_SET_CHILD_SUBREAPER)");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  double t0 = now_s();
  pid_t child = fork();
  if (child < 0) {
    perror("reaper: fork");
    return 2;
  }
  if (child == 0) {
    setpgid(0, 0);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execvp(argv[3], argv + 3);
    fprintf(stderr, "reaper: exec %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  setpgid(child, child);

  int child_status = 0, child_done = 0, timed_out = 0, leftover = 0, reaped = 0;
  double wall = 0, child_exit_at = 0;
  for (;;) {
    int status;
    pid_t p = waitpid(-1, &status, WNOHANG);
    if (p > 0) {
      reaped++;
      if (p == child) {
        child_status = status;
        child_done = 1;
        child_exit_at = now_s();
        wall = child_exit_at - t0;
      }
      continue;
    }
    if (p < 0 && errno == ECHILD) break;
    double t = now_s();
    if (!child_done && !timed_out && (stop_requested || (timeout_s > 0 && t - t0 > timeout_s))) {
      timed_out = 1;
      kill(-child, SIGKILL);
      kill_direct_children();
    }
    if ((child_done && t - child_exit_at > grace_s) || timed_out) {
      int k = kill_direct_children();
      if (!timed_out) leftover += k;
    }
    usleep(20000);
  }
  double tree_wall = now_s() - t0;
  if (!child_done) wall = tree_wall;

  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  double user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  double sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  int code = -1, sig = 0;
  if (WIFEXITED(child_status)) code = WEXITSTATUS(child_status);
  if (WIFSIGNALED(child_status)) sig = WTERMSIG(child_status);

  FILE *out = fopen(result_path, "w");
  if (out) {
    fprintf(out,
            "{\"wall_s\":%.3f,\"tree_wall_s\":%.3f,\"user_s\":%.3f,\"sys_s\":%.3f,\"max_rss_kb\":%ld,"
            "\"exit\":%d,\"signal\":%d,\"timed_out\":%s,\"leftover\":%d,\"processes\":%d}\n",
            wall, tree_wall, user, sys, ru.ru_maxrss, code, sig, timed_out ? "true" : "false", leftover, reaped);
    fclose(out);
  }
  if (timed_out) return 124;
  if (sig) return 128 + sig;
  return code < 0 ? 1 : code;
}
