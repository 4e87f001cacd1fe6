// strlen_snoop: every string one thread passes to strlen(), printed through bpf_trace_printk.
// A uprobe on libc's strlen; uprobes work on every kernel, so there is one form. PID comes in
// as -DPID (BCC substitutes it into the text) and is compared with the thread id, as BCC does.
// The string is read up to its NUL with bpf_probe_read_user_str: a plain 80-byte read fails
// (and prints an empty line) for a short string that ends less than 80 bytes before an
// unmapped page.
#include <uapi/linux/ptrace.h>

int printarg(struct pt_regs *ctx) {
    const char *s = (const char *)PT_REGS_PARM1(ctx);
    if (!s)
        return 0;

    u32 tid = bpf_get_current_pid_tgid();
    if (tid != PID)
        return 0;

    char text[80] = {};
    bpf_probe_read_user_str(&text, sizeof(text), s);
    bpf_trace_printk("%s\n", text);
    return 0;
}
