/*
 * meminfo-report: the guest half of self-ballooning on a real Xen guest. Every INTERVAL seconds it publishes,
 * under the guest's own xenstore home (relative paths), what SelfBallooningController reads:
 *
 *   data/meminfo_total   MemTotal, kB (what the guest holds now; follows the balloon)
 *   data/meminfo_free    MemFree, kB
 *   data/meminfo_used    Committed_AS, kB (xen-selfballoon's goal basis)
 *   data/memory_pressure allocstall_* summed from /proc/vmstat: direct-reclaim stalls since boot, a counter
 *
 * It speaks the xenstore wire protocol on /dev/xen/xenbus (xsd_sockmsg: type, req_id, tx_id, len; WRITE = 11
 * with "path\0value"), so the guest needs no xenstore tools. Lines starting MEMINFO go to the console.
 *
 * usage: meminfo-report [INTERVAL]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct xsd_sockmsg {
    uint32_t type, req_id, tx_id, len;
};

static int xs_write(int fd, const char *path, const char *value)
{
    static uint32_t req;
    char buf[sizeof(struct xsd_sockmsg) + 4096];
    size_t pl = strlen(path) + 1, vl = strlen(value);
    struct xsd_sockmsg h = {11, ++req, 0, (uint32_t)(pl + vl)};
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, path, pl);
    memcpy(buf + sizeof h + pl, value, vl);
    if (write(fd, buf, sizeof h + pl + vl) != (ssize_t)(sizeof h + pl + vl))
        return -1;
    struct xsd_sockmsg r;
    if (read(fd, &r, sizeof r) != sizeof r || r.len > 4096)
        return -1;
    if (r.len && read(fd, buf, r.len) != (ssize_t)r.len)
        return -1;
    return r.type == 16 ? -1 : 0;   /* XS_ERROR */
}

static long field(const char *file, const char *name)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long sum = -1;
    size_t n = strlen(name);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, n) == 0) {
            char *p = line + n;
            while (*p == ':' || *p == ' ' || *p == '_' || (*p >= 'a' && *p <= 'z'))
                p++;
            sum = (sum < 0 ? 0 : sum) + strtol(p, NULL, 10);
        }
    }
    fclose(f);
    return sum;
}

int main(int argc, char **argv)
{
    int interval = argc > 1 ? atoi(argv[1]) : 2;
    int fd = open("/dev/xen/xenbus", O_RDWR);
    if (fd < 0) {
        perror("MEMINFO cannot open /dev/xen/xenbus");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (unsigned long n = 0;; n++) {
        long total = field("/proc/meminfo", "MemTotal:"), freekb = field("/proc/meminfo", "MemFree:");
        long used = field("/proc/meminfo", "Committed_AS:");
        long stalls = field("/proc/vmstat", "allocstall");
        char v[32];
        int rc = 0;
        snprintf(v, sizeof v, "%ld", total);
        rc |= xs_write(fd, "data/meminfo_total", v);
        snprintf(v, sizeof v, "%ld", freekb);
        rc |= xs_write(fd, "data/meminfo_free", v);
        snprintf(v, sizeof v, "%ld", used);
        rc |= xs_write(fd, "data/meminfo_used", v);
        snprintf(v, sizeof v, "%ld", stalls < 0 ? 0 : stalls);
        rc |= xs_write(fd, "data/memory_pressure", v);
        if (rc || n % 15 == 0)
            printf("MEMINFO total=%ld free=%ld used=%ld stalls=%ld%s\n", total, freekb, used, stalls,
                   rc ? " (xenstore write failed)" : "");
        sleep(interval);
    }
}
