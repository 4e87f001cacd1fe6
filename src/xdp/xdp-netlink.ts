/**
 * The XDP requests over rtnetlink (IFLA_XDP) that both an XdpLink and `tsbcc tc clean` send:
 * attach/replace/detach (RTM_SETLINK with IFLA_XDP_FD, FLAGS, EXPECTED_FD), the query of what
 * an interface runs, and the detach of a dead owner's program that happens only while the
 * interface still runs exactly that program (the kernel compares IFLA_XDP_EXPECTED_FD with the
 * attached program atomically, so a program that replaced it is never detached).
 */
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError, SyscallError, fromNative } from '../errors.js';
import { native } from '../native.js';
import { LINK_MSG, XDP_ATTACHED, XDP_FLAGS } from '../netlink/ifla.js';
import { buildMessage, REQUEST, type NetlinkMessage } from '../netlink/message.js';
import { RTM } from '../netlink/rtnetlink.js';
import { decodeMessage } from '../netlink/schema.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';

/** Where XDP runs: generic (after the skb is built; any device) or native (in the driver). */
export type XdpMode = 'generic' | 'native';

/** What an interface has attached. */
export interface XdpState {
  /** How it is attached ('none' when nothing is). */
  attached: (typeof XDP_ATTACHED)[number];
  /** The program id in each mode (0 = none). */
  nativeProgramId: number;
  genericProgramId: number;
}

/** The XDP_FLAGS_* bit of a mode (0: the kernel's choice). Pure. */
export function modeFlag(mode: XdpMode | undefined): number {
  if (mode === undefined) return 0;
  if (mode === 'generic') return XDP_FLAGS.SKB_MODE;
  if (mode === 'native') return XDP_FLAGS.DRV_MODE;
  throw new InvalidArgumentError(`invalid XDP mode "${String(mode)}" (use generic or native)`);
}

/** The RTM_SETLINK request attaching (or replacing, with expectedFd) an XDP program. Pure. */
export function setRequest(
  ifindex: number,
  fd: number,
  flags: number,
  expectedFd: number | undefined,
  op: string,
): NetlinkRequest {
  const message = buildMessage(RTM.SETLINK, REQUEST.ACK, LINK_MSG, {
    header: { ifi_index: ifindex },
    attrs: { XDP: { FD: fd, FLAGS: flags || undefined, EXPECTED_FD: expectedFd } },
  });
  return { message, operation: op };
}

/** The RTM_GETLINK request whose reply {@link parseState} reads. Pure. */
export function getRequest(ifindex: number, op: string): NetlinkRequest {
  return {
    message: buildMessage(RTM.GETLINK, REQUEST.ACK, LINK_MSG, { header: { ifi_index: ifindex } }),
    operation: op,
  };
}

/** What XDP program a link reply says the interface runs. Pure. */
export function parseState(replies: NetlinkMessage[]): XdpState {
  const state: XdpState = { attached: 'none', nativeProgramId: 0, genericProgramId: 0 };
  const link = replies.find((r) => r.type === RTM.NEWLINK);
  const xdp = link && decodeMessage(LINK_MSG, link.payload).attrs.XDP;
  if (!xdp) return state;
  state.attached = XDP_ATTACHED[xdp.ATTACHED ?? 0] ?? 'none';
  const id = xdp.PROG_ID ?? 0;
  state.nativeProgramId = xdp.DRV_PROG_ID ?? (state.attached === 'native' ? id : 0);
  state.genericProgramId = xdp.SKB_PROG_ID ?? (state.attached === 'generic' ? id : 0);
  return state;
}

/**
 * Detaches program `programId` from interface `ifindex` of namespace `nsPath` ('' = this one)
 * only if the interface runs exactly that program: the mode is taken from the interface's
 * state, and the detach names the program as IFLA_XDP_EXPECTED_FD, so a program attached in
 * its place meanwhile makes the kernel refuse (EEXIST) instead of being detached.
 * @returns the mode it was detached from, or undefined when the interface (or the program)
 *   is gone or runs another program.
 * @throws NetlinkError or SyscallError for any other refusal.
 */
export async function detachXdpIfRunning(
  nsPath: string,
  ifindex: number,
  programId: number,
  op: string,
): Promise<XdpMode | undefined> {
  const [reply] = await transactIn(nsPath, [getRequest(ifindex, `query XDP (${op})`)]);
  if (reply instanceof NetlinkError) {
    if (reply.errno === ERRNO.ENODEV) return undefined;
    throw reply;
  }
  if (!Array.isArray(reply)) return undefined;
  const state = parseState(reply);
  const mode: XdpMode | undefined =
    state.genericProgramId === programId
      ? 'generic'
      : state.nativeProgramId === programId
        ? 'native'
        : undefined;
  if (!mode) return undefined;
  let fd: number;
  try {
    fd = native().progFdById(programId);
  } catch (e) {
    const err = fromNative(e, `open program ${programId} (${op})`);
    if (err instanceof SyscallError && err.errno === ERRNO.ENOENT) return undefined; // detached since
    throw err;
  }
  try {
    const [r] = await transactIn(nsPath, [
      setRequest(ifindex, -1, modeFlag(mode) | XDP_FLAGS.REPLACE, fd, `detach XDP (${op})`),
    ]);
    if (r instanceof NetlinkError) {
      // EEXIST: another program replaced it after the query; ENODEV: the interface went away
      if (r.errno === ERRNO.EEXIST || r.errno === ERRNO.ENODEV) return undefined;
      throw r;
    }
    return mode;
  } finally {
    native().closeFd(fd);
  }
}
