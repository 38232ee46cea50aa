/* Unit tests for the write-ahead log of the LMDB store (store/wal.c and the
 * durable paths of store_lmdb.c): clean close leaves nothing to replay;
 * "crashes" (a forked child that _exit()s without closing, at chosen points
 * of a commit) recover exactly the committed set; torn records, aborted
 * nested transactions, long keys and cursor deletes; checkpoints taken
 * mid-way; corrupt checkpoint files are refused; backups open. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/wal.h"

static char dir[256];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/pt_test_wal_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static pt_store_options_t opts_for(const char *path)
{
    pt_store_options_t o = {.path = path, .durable = true, .map_size = (size_t)64 << 20};
    return o;
}

static pt_store_t *open_ok(const pt_store_options_t *o)
{
    pt_store_t *s = NULL;
    pt_error_t err;
    int rc = pt_store_open(o, &s, &err);
    if (rc) fprintf(stderr, "open: %s\n", err.message);
    assert_int_equal(rc, PT_OK);
    return s;
}

/* Keys "k<i>" with value "v<i>-<gen>". */
static void key_of(int i, char *buf, size_t n) { snprintf(buf, n, "k%05d", i); }

static int put_str(pt_txn_t *t, const char *k, const char *v)
{
    pt_error_t err;
    return pt_put(t, pt_slice(k, strlen(k)), pt_slice(v, strlen(v)), &err);
}

/* Commits one transaction putting keys [from, to). */
static int commit_range(pt_store_t *s, int from, int to, int gen)
{
    pt_error_t err;
    pt_txn_t *t;
    if (pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err)) return PT_ERR;
    for (int i = from; i < to; i++) {
        char k[32], v[32];
        key_of(i, k, sizeof k);
        snprintf(v, sizeof v, "v%d-%d", i, gen);
        if (put_str(t, k, v)) {
            pt_txn_abort(t);
            return PT_ERR;
        }
    }
    return pt_txn_commit(t, &err);
}

/* Every key/value in the store, "k=v\n" each, in order (malloc'ed). */
static char *dump(pt_store_t *s)
{
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *c;
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    pt_slice_t k, v;
    int rc = pt_cursor_seek(c, pt_slice("", 0), &k, &v, &err);
    while (rc == PT_OK) {
        while (len + k.len + v.len + 3 > cap) out = realloc(out, cap *= 2);
        memcpy(out + len, k.data, k.len);
        len += k.len;
        out[len++] = '=';
        memcpy(out + len, v.data, v.len);
        len += v.len;
        out[len++] = '\n';
        out[len] = 0;
        rc = pt_cursor_next(c, &k, &v, &err);
    }
    assert_int_equal(rc, PT_NOTFOUND);
    pt_cursor_close(c);
    pt_txn_abort(t);
    return out;
}

static void assert_get(pt_store_t *s, const void *key, size_t klen, const char *want)
{
    pt_error_t err;
    pt_txn_t *t;
    pt_slice_t v;
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &t, &err), PT_OK);
    int rc = pt_get(t, pt_slice(key, klen), &v, &err);
    if (!want) {
        assert_int_equal(rc, PT_NOTFOUND);
    } else {
        assert_int_equal(rc, PT_OK);
        assert_int_equal(v.len, strlen(want));
        assert_memory_equal(v.data, want, v.len);
    }
    pt_txn_abort(t);
}

/* Runs fn in a forked child that opens the store with `o`, and ends with
 * _exit(0) without closing anything (as kill -9 would), unless the store's
 * test hook exits first. Returns the child's exit status. */
static int in_child(const pt_store_options_t *o, int (*fn)(pt_store_t *s))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        pt_store_t *s;
        pt_error_t err;
        if (pt_store_open(o, &s, &err)) {
            fprintf(stderr, "child open: %s\n", err.message);
            _exit(2);
        }
        _exit(fn(s) ? 1 : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int count_files(const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
    closedir(d);
    return n;
}

/* ---- tests ---- */

static void test_clean_close_leaves_nothing_to_replay(void **state)
{
    pt_store_options_t o = opts_for(dir);
    pt_store_t *s = open_ok(&o);
    for (int i = 0; i < 10; i++) assert_int_equal(commit_range(s, i * 10, i * 10 + 10, 1), PT_OK);
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    assert_int_equal(st.records, 10);
    char *before = dump(s);
    pt_store_close(s);
    assert_int_equal(count_files("checkpoint"), 1);

    s = open_ok(&o);
    pt_store_wal_stats(s, &st);
    assert_int_equal(st.replayed, 0);
    char *after = dump(s);
    assert_string_equal(before, after);
    assert_get(s, "k00099", 6, "v99-1");
    pt_store_close(s);
    free(before);
    free(after);
}

static int commit_100_then_die(pt_store_t *s)
{
    for (int i = 0; i < 10; i++)
        if (commit_range(s, i * 10, i * 10 + 10, 1)) return PT_ERR;
    return PT_OK;
}

static int commit_one_more(pt_store_t *s)
{
    /* With test_exit_at set, the commit exits the process itself. */
    commit_range(s, 1000, 1001, 2);
    return PT_ERR;   /* not reached when the hook fires */
}

static void crash_at(int point)
{
    pt_store_options_t o = opts_for(dir);
    assert_int_equal(in_child(&o, commit_100_then_die), 0);
    o.test_exit_at = point;
    assert_int_equal(in_child(&o, commit_one_more), 0);   /* 0: the hook's _exit(0) */
    o.test_exit_at = 0;
    pt_store_t *s = open_ok(&o);
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    assert_int_equal(st.replayed, 1);   /* the record logged before the hook */
    assert_get(s, "k00000", 6, "v0-1");
    assert_get(s, "k00099", 6, "v99-1");
    assert_get(s, "k01000", 6, "v1000-2");  /* durable in the log: replayed */
    char *d = dump(s);
    size_t lines = 0;
    for (char *p = d; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 101);
    free(d);
    pt_store_close(s);
}

static void test_crash_after_log_fsync_before_lmdb_commit_replays(void **state) { crash_at(1); }
static void test_crash_after_lmdb_commit_replays(void **state) { crash_at(2); }

static void test_kill_after_ack_keeps_every_commit(void **state)
{
    pt_store_options_t o = opts_for(dir);
    assert_int_equal(in_child(&o, commit_100_then_die), 0);
    pt_store_t *s = open_ok(&o);
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    assert_int_equal(st.replayed, 10);
    assert_get(s, "k00055", 6, "v55-1");
    pt_store_close(s);
}

static int two_commits(pt_store_t *s)
{
    if (commit_range(s, 0, 5, 1)) return PT_ERR;
    return commit_range(s, 5, 10, 1);
}

static void test_torn_last_record_is_ignored(void **state)
{
    pt_store_options_t o = opts_for(dir);
    assert_int_equal(in_child(&o, two_commits), 0);
    /* Tear the last record: zero its second half, as a power failure in the
     * middle of the append would leave it (segments are prefilled with
     * zeros, so the records end where a zero length starts). */
    uint64_t *segs;
    size_t n;
    pt_error_t err;
    assert_int_equal(pt_wal_list(dir, &segs, &n, &err), PT_OK);
    assert_int_equal(n, 1);
    char path[512];
    pt_wal_segment_path(path, sizeof path, dir, segs[0]);
    free(segs);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t off = 0, last = -1;
    uint32_t len = 0, last_len = 0;
    while (pread(fd, &len, 4, off) == 4 && len != 0) {   /* little-endian host */
        last = off;
        last_len = len;
        off += len;
    }
    assert_true(last > 0);   /* two records */
    static const uint8_t zeros[4096];
    assert_int_equal(pwrite(fd, zeros, last_len / 2, last + last_len / 2), (ssize_t)(last_len / 2));
    close(fd);

    pt_store_t *s = open_ok(&o);
    pt_store_wal_stats_t ws;
    pt_store_wal_stats(s, &ws);
    assert_int_equal(ws.replayed, 1);
    assert_get(s, "k00004", 6, "v4-1");
    assert_get(s, "k00005", 6, NULL);   /* LMDB had it: rolled back to the checkpoint */
    assert_get(s, "k00009", 6, NULL);
    /* Writes continue after the torn record. */
    assert_int_equal(commit_range(s, 5, 6, 3), PT_OK);
    pt_store_close(s);
    s = open_ok(&o);
    assert_get(s, "k00005", 6, "v5-3");
    pt_store_close(s);
}

static int nested(pt_store_t *s)
{
    pt_error_t err;
    pt_txn_t *top, *a, *b, *c;
    if (pt_txn_begin(s, PT_TXN_WRITE, NULL, &top, &err)) return PT_ERR;
    if (put_str(top, "top", "1")) return PT_ERR;
    if (pt_txn_begin(s, PT_TXN_WRITE, top, &a, &err) || put_str(a, "kept", "a")) return PT_ERR;
    /* A grandchild aborted inside a committed child. */
    if (pt_txn_begin(s, PT_TXN_WRITE, a, &c, &err) || put_str(c, "gone2", "c")) return PT_ERR;
    pt_txn_abort(c);
    if (pt_txn_commit(a, &err)) return PT_ERR;
    if (pt_txn_begin(s, PT_TXN_WRITE, top, &b, &err) || put_str(b, "gone", "b")) return PT_ERR;
    if (pt_del(b, pt_slice("top", 3), &err)) return PT_ERR;
    pt_txn_abort(b);
    if (pt_txn_commit(top, &err)) return PT_ERR;
    /* A transaction whose only child aborted logs nothing. */
    if (pt_txn_begin(s, PT_TXN_WRITE, NULL, &top, &err)) return PT_ERR;
    if (pt_txn_begin(s, PT_TXN_WRITE, top, &b, &err) || put_str(b, "gone3", "b")) return PT_ERR;
    pt_txn_abort(b);
    if (pt_txn_commit(top, &err)) return PT_ERR;
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    return st.records == 1 ? PT_OK : PT_ERR;
}

static void test_aborted_nested_txn_leaves_nothing_in_the_log(void **state)
{
    pt_store_options_t o = opts_for(dir);
    assert_int_equal(in_child(&o, nested), 0);
    pt_store_t *s = open_ok(&o);
    char *d = dump(s);
    assert_string_equal(d, "kept=a\ntop=1\n");
    free(d);
    pt_store_close(s);
}

static char long_a[2000], long_b[2000], long_c[700];

static void fill_long_keys(void)
{
    memset(long_a, 'x', sizeof long_a);
    memcpy(long_b, long_a, sizeof long_b);
    long_b[sizeof long_b - 1] = 'y';   /* same 495-byte prefix as long_a */
    memset(long_c, 'z', sizeof long_c);
}

static int long_and_cursor(pt_store_t *s)
{
    pt_error_t err;
    pt_txn_t *t;
    if (pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err)) return PT_ERR;
    if (pt_put(t, pt_slice(long_a, sizeof long_a), pt_slice("A", 1), &err) ||
        pt_put(t, pt_slice(long_b, sizeof long_b), pt_slice("B", 1), &err) ||
        pt_put(t, pt_slice(long_c, sizeof long_c), pt_slice("C", 1), &err))
        return PT_ERR;
    for (int i = 0; i < 10; i++) {
        char k[16];
        key_of(i, k, sizeof k);
        if (put_str(t, k, "v")) return PT_ERR;
    }
    if (pt_txn_commit(t, &err)) return PT_ERR;

    if (pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err)) return PT_ERR;
    /* Cursor-delete the even short keys and long_c; pt_del long_b. */
    pt_cursor_t *c;
    pt_slice_t k, v;
    if (pt_cursor_open(t, &c, &err)) return PT_ERR;
    int rc = pt_cursor_seek(c, pt_slice("k", 1), &k, &v, &err);
    while (rc == PT_OK) {
        bool del = (k.len == 6 && ((const char *)k.data)[5] % 2 == 0) || k.len == sizeof long_c;
        if (del && pt_cursor_del(c, &err)) return PT_ERR;
        rc = pt_cursor_next(c, &k, &v, &err);   /* the entry after a deleted one */
    }
    pt_cursor_close(c);
    if (rc != PT_NOTFOUND) return PT_ERR;
    if (pt_del(t, pt_slice(long_b, sizeof long_b), &err)) return PT_ERR;
    if (pt_put(t, pt_slice(long_a, sizeof long_a), pt_slice("A2", 2), &err)) return PT_ERR;
    return pt_txn_commit(t, &err);
}

static void test_long_keys_and_cursor_deletes_replay(void **state)
{
    fill_long_keys();
    pt_store_options_t o = opts_for(dir);
    assert_int_equal(in_child(&o, long_and_cursor), 0);
    pt_store_t *s = open_ok(&o);
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    assert_int_equal(st.replayed, 2);
    assert_get(s, long_a, sizeof long_a, "A2");
    assert_get(s, long_b, sizeof long_b, NULL);
    assert_get(s, long_c, sizeof long_c, NULL);
    assert_get(s, "k00000", 6, NULL);
    assert_get(s, "k00001", 6, "v");
    assert_get(s, "k00008", 6, NULL);
    assert_get(s, "k00009", 6, "v");
    pt_store_close(s);
}

static int many_commits(pt_store_t *s)
{
    pt_error_t ferr;
    for (int i = 0; i < 300; i++) {
        if (commit_range(s, i % 50, i % 50 + 3, i)) return PT_ERR;
        if (i % 7 == 0) {   /* deletes too */
            pt_error_t err;
            pt_txn_t *t;
            char k[16];
            key_of((i * 13) % 60, k, sizeof k);
            if (pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err)) return PT_ERR;
            int rc = pt_del(t, pt_slice(k, 6), &err);
            if (rc == PT_ERR || pt_txn_commit(t, &err)) return PT_ERR;
        }
        if (i % 50 == 0) {   /* the writer going idle: LMDB commits, the checkpointer runs */
            if (pt_store_flush(s, &ferr)) return PT_ERR;
            usleep(2000);
        }
    }
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    return st.checkpoints > 3 ? PT_OK : PT_ERR;
}

static void test_checkpoints_midway_then_crash_is_exact(void **state)
{
    /* Reference: the same commits on a non-durable store, closed cleanly. */
    char ref[300];
    snprintf(ref, sizeof ref, "%s/ref", dir);
    pt_store_options_t ro = opts_for(ref);
    ro.durable = false;
    pt_store_t *r = open_ok(&ro);
    assert_int_equal(many_commits(r), PT_ERR);   /* no checkpoints when not durable */
    char *want = dump(r);
    pt_store_close(r);

    char data[300];
    snprintf(data, sizeof data, "%s/data", dir);
    pt_store_options_t o = opts_for(data);
    o.checkpoint_bytes = 1;   /* after every commit, when none is in flight */
    assert_int_equal(in_child(&o, many_commits), 0);
    pt_store_t *s = open_ok(&o);
    char *got = dump(s);
    assert_string_equal(got, want);
    pt_store_close(s);
    /* And once more after the clean close. */
    s = open_ok(&o);
    free(got);
    got = dump(s);
    assert_string_equal(got, want);
    pt_store_close(s);
    free(got);
    free(want);
}

static void test_corrupt_checkpoint_is_refused(void **state)
{
    pt_store_options_t o = opts_for(dir);
    pt_store_t *s = open_ok(&o);
    assert_int_equal(commit_range(s, 0, 3, 1), PT_OK);
    pt_store_close(s);

    char path[300];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, 100), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, 100), 1);
    close(fd);

    pt_error_t err;
    assert_int_equal(pt_store_open(&o, &s, &err), PT_ERR);
    assert_non_null(strstr(err.message, "checkpoint"));
    assert_non_null(strstr(err.message, "refusing"));

    /* Not a checkpoint at all. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "hello", 5), 5);
    close(fd);
    assert_int_equal(pt_store_open(&o, &s, &err), PT_ERR);
    assert_non_null(strstr(err.message, path));
}

static void test_backup_opens_as_plain_directory(void **state)
{
    char data[300], bak[300];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(bak, sizeof bak, "%s/bak", dir);
    pt_store_options_t o = opts_for(data);
    pt_store_t *s = open_ok(&o);
    assert_int_equal(commit_range(s, 0, 20, 1), PT_OK);
    pt_error_t err;
    /* a backup copies what LMDB committed: flush the deferred commit first */
    assert_int_equal(pt_store_flush(s, &err), PT_OK);
    assert_int_equal(pt_store_backup(s, bak, &err), PT_OK);
    char *want = dump(s);
    pt_store_close(s);
    pt_store_options_t bo = opts_for(bak);
    s = open_ok(&bo);
    char *got = dump(s);
    assert_string_equal(got, want);
    assert_int_equal(commit_range(s, 20, 21, 1), PT_OK);
    pt_store_close(s);
    free(got);
    free(want);
}

static void test_non_durable_store_has_no_log(void **state)
{
    pt_store_options_t o = opts_for(dir);
    o.durable = false;
    pt_store_t *s = open_ok(&o);
    assert_int_equal(commit_range(s, 0, 20, 1), PT_OK);
    pt_store_wal_stats_t st;
    pt_store_wal_stats(s, &st);
    assert_int_equal(st.records, 0);
    pt_store_close(s);
    assert_int_equal(count_files("wal-"), 0);
    assert_int_equal(count_files("checkpoint"), 0);
}

static int count(void *ctx, int type, const uint8_t *k, size_t kl, const uint8_t *val, size_t vl,
                 pt_error_t *e)
{
    (*(int *)ctx)++;
    return PT_OK;
}

static void test_record_validates_only_in_its_segment(void **state)
{
    pt_wal_buf_t b = {0};
    pt_error_t err;
    assert_int_equal(pt_wal_buf_reset(&b), PT_OK);
    uint8_t *v = pt_wal_buf_put(&b, "key", 3, 5);
    memcpy(v, "value", 5);
    assert_int_equal(pt_wal_buf_del(&b, "gone", 4), PT_OK);
    assert_int_equal(pt_wal_seal(&b, 7, 1, &err), PT_OK);
    char path[300];
    pt_wal_segment_path(path, sizeof path, dir, 7);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    uint64_t last = 0, gap = 0;
    int calls = 0;
    assert_int_equal(pt_wal_replay(path, 7, &last, &gap, count, &calls, &err), PT_OK);
    assert_int_equal(last, 1);
    assert_int_equal(calls, 2);
    /* The same bytes under another segment number (a recycled file). */
    char other[300];
    pt_wal_segment_path(other, sizeof other, dir, 8);
    assert_int_equal(rename(path, other), 0);
    last = 0;
    calls = 0;
    assert_int_equal(pt_wal_replay(other, 8, &last, &gap, count, &calls, &err), PT_OK);
    assert_int_equal(last, 0);
    assert_int_equal(calls, 0);
    assert_int_equal(gap, 0);
    pt_wal_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_close_leaves_nothing_to_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_log_fsync_before_lmdb_commit_replays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_lmdb_commit_replays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_after_ack_keeps_every_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_record_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aborted_nested_txn_leaves_nothing_in_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_keys_and_cursor_deletes_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_midway_then_crash_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_checkpoint_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_opens_as_plain_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_durable_store_has_no_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_validates_only_in_its_segment, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
