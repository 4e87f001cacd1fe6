/**
 * The BPF C both tcpaccept's tracepoint form and tcpconnect -d's DNS program use to find the
 * socket behind a descriptor of the current task without kprobes: task->files->fdt->fd[fd],
 * the file's private_data (a struct socket for a socket file) and its sk. Every step is a
 * bpf_probe_read_kernel, so a descriptor that is not a socket yields a pointer the callers
 * check (sk_protocol) before trusting, and a closed or out-of-range one yields 0.
 */

/**
 * BCC-C defining `static struct sock *fd_sock(long fd)`: the current task's sock behind `fd`,
 * or 0 (negative or out-of-range fd, empty slot, no socket). Needs <net/sock.h>, which both
 * programs include.
 */
export const FD_SOCK_C = `
// the sock behind the current task's descriptor fd: current->files->fdt->fd[fd]->private_data->sk
static struct sock *fd_sock(long fd)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct files_struct *files = 0;
    struct fdtable *fdt = 0;
    struct file **fds = 0;
    struct file *file = 0;
    struct socket *sock = 0;
    struct sock *sk = 0;
    unsigned int max_fds = 0;
    if (fd < 0)
        return 0;
    bpf_probe_read_kernel(&files, sizeof(files), &task->files);
    if (files == 0)
        return 0;
    bpf_probe_read_kernel(&fdt, sizeof(fdt), &files->fdt);
    if (fdt == 0)
        return 0;
    bpf_probe_read_kernel(&max_fds, sizeof(max_fds), &fdt->max_fds);
    if (fd >= max_fds)
        return 0;
    bpf_probe_read_kernel(&fds, sizeof(fds), &fdt->fd);
    bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
    if (file == 0)
        return 0;
    bpf_probe_read_kernel(&sock, sizeof(sock), &file->private_data);
    if (sock == 0)
        return 0;
    bpf_probe_read_kernel(&sk, sizeof(sk), &sock->sk);
    return sk;
}
`;
