/**
 * tsbcc: the BPF Compiler Collection for TypeScript. The public API, named one by one: what
 * users need, not every module's internals. `npm run api:update` regenerates api/tsbcc.api.md
 * after a deliberate change; `npm run lint` fails when this entry point and the report differ.
 */

// The BCC facade
export { BPF } from './bcc/bpf.js';
export type { BpfCreateOptions, BpfSource, KprobeAttachOptions, UprobeRegexOptions } from './bcc/bpf.js';
export { fixSyscallFnname, getSyscallPrefix } from './bcc/syscall-prefix.js';

// Compiling
export type { BccFieldDesc, BccTypeDesc } from './compiler/bcc-type-desc.js';
export { DEBUG_LLVM_IR, DEBUG_PREPROCESSOR, compile } from './compiler/compile.js';
export type { CompileInput, CompileOptions } from './compiler/compile.js';
export type { AttachKind, MapSpec, ObjectSpec, ProgramSpec } from './compiler/object-spec.js';
export type { FieldLayout, TypeLayout } from './compiler/type-layout.js';
export type { UsdtContext, UsdtSpec } from './compiler/usdt.js';

// The object model
export { BpfObject } from './core/bpf-object.js';
export type { LoadFuncOptions } from './core/bpf-object.js';
export { kernelEnumHasValue, kernelStructHasField } from './core/kernel-btf.js';
export type { Link } from './core/link.js';
export { openPinned, pinObject } from './core/pin.js';
export type { PinOptions } from './core/pin.js';
export { Program } from './core/program.js';
export { RawMap, UpdateFlags } from './core/raw-map.js';
export type { MapInfo } from './core/raw-map.js';
export type { Closeable } from './resources.js';
export { MapType, mapTypeName } from './uapi/map-type.js';
export type { MapTypeName } from './uapi/map-type.js';
export { AttachType, ProgramType, programTypeName } from './uapi/program-type.js';
export type { ProgramTypeName } from './uapi/program-type.js';

// Tables and codecs
export { codecFor, codecForSize, encodeToBuffer } from './codec/codec.js';
export type { Codec, CodecOptions } from './codec/codec.js';
export { ArrayTable } from './maps/array.js';
export type {
  BpfArray,
  CgroupArray,
  CpuMap,
  DevMap,
  LpmTrie,
  LruHash,
  LruPerCpuHash,
  MapInMapArray,
  MapInMapHash,
  PerCpuArray,
  PerCpuHash,
  PerfEventArray,
  ProgArray,
  QueueStack,
  RingBuf,
  StackTrace,
  XskMap,
} from './maps/bcc-names.js';
export { CgroupArrayTable } from './maps/cgroup-array.js';
export { CpuMapTable, DevMapTable, XskMapTable } from './maps/dev-map.js';
export { HashTable, LruHashTable } from './maps/hash.js';
export { formatLinearHist, formatLog2Hist, log2HistJson } from './maps/histogram.js';
export type { HistogramOptions, JsonHist, JsonHistInterval } from './maps/histogram.js';
export { LpmTrieTable } from './maps/lpm-trie.js';
export { MapInMapTable } from './maps/map-in-map.js';
export type { InnerMap } from './maps/map-in-map.js';
export {
  formatIPv4,
  formatIPv6,
  formatMac,
  macToBigInt,
  parseIPv4,
  parseIPv6,
  parseMac,
} from './maps/net-format.js';
export { objectTable } from './maps/open-table.js';
export { PerCpuArrayTable, PerCpuHashTable, maxReducer, sumReducer } from './maps/percpu.js';
export type { Reducer } from './maps/percpu.js';
export { PerfEventArrayTable } from './maps/perf-event-array.js';
export { ProgArrayTable } from './maps/prog-array.js';
export { QueueStackTable } from './maps/queue-stack.js';
export { RingBufTable } from './maps/ring-buf.js';
export { StackTraceTable } from './maps/stack-trace.js';
export type { TableOptions } from './maps/table-options.js';
export { Table } from './maps/table.js';
export type { PrintHistOptions } from './maps/table.js';

// Event streams and trace_pipe
export type { IterateOptions } from './events/event-queue.js';
export type { EventReader, EventReaderOptions } from './events/event-reader.js';
export { PerfBuffer } from './events/perf-buffer.js';
export type { PerfBufferOptions, PerfEvent } from './events/perf-buffer.js';
export { PerfCounters } from './events/perf-counters.js';
export { RingBuffer } from './events/ring-buffer.js';
export type { RingBufferOptions } from './events/ring-buffer.js';
export { parseTraceLine } from './events/trace-fields.js';
export type { TraceFields } from './events/trace-fields.js';
export { formatTraceFields } from './events/trace-format.js';
export { TracePipe } from './events/trace-pipe.js';
export type { TraceFormat, TracePipeOptions, TracePrintOptions } from './events/trace-pipe.js';
export { reapTraceInstances } from './events/trace-instance.js';

// Tracing
export { attachKprobes, attachUprobes, getUserFunctions } from './tracing/attach-regex.js';
export type { KprobeRegexOptions, UserFunction } from './tracing/attach-regex.js';
export { DEFAULT_PROBE_LIMIT, getProbeLimit, numOpenProbes } from './tracing/probe-quota.js';
export {
  attachKprobe,
  attachPerfEvent,
  attachRawTracepoint,
  attachTracepoint,
  attachUprobe,
  kprobesAvailable,
  listTracepoints,
  resolveBinary,
  tracepointExists,
} from './tracing/attach.js';
export type { KprobeOptions, PerfEventOptions, UprobeOptions } from './tracing/attach.js';
export { FdLink } from './tracing/fd-link.js';
export { getKprobeFunctions } from './tracing/kprobe-functions.js';
export { ksym, ksymname } from './tracing/ksyms.js';
export { attachPerfEventRaw } from './tracing/perf-attr.js';
export type { PerfEventAttr, PerfEventRawOptions } from './tracing/perf-attr.js';
export { PerfHWConfig, PerfSWConfig, PerfType } from './tracing/perf-types.js';
export { ProgAttachFlags, ProgAttachment, attachFunc, detachFunc } from './tracing/prog-attach.js';
export type { Attachable } from './tracing/prog-attach.js';
export {
  supportFmodRet,
  supportKfunc,
  supportKprobes,
  supportLsm,
  supportRawTracepoint,
  supportRawTracepointInModule,
  supportUprobes,
} from './tracing/support.js';
export { listUsdtProbes } from './tracing/usdt.js';
export type { UsdtProbe } from './tracing/usdt.js';
export { UserSymbols, usym } from './tracing/usyms.js';
export type { SymbolOptions } from './tracing/usyms.js';
export { onlineCpus, possibleCpus } from './util/cpus.js';

// tc, sockets, XDP
export {
  formatHandle,
  formatRate,
  parseHandle,
  parseRate,
  parseSize,
  parseTime,
} from './netlink/tc/units.js';
export type { HandleInput, RateInput, SizeInput, TimeInput } from './netlink/tc/units.js';
export type { TcVerdictName } from './netlink/tc/verdict.js';
export { attachSocketFilter } from './socket/attach.js';
export type { SocketLike } from './socket/attach.js';
export type { PacketIteratorOptions } from './socket/packet-queue.js';
export { ETH_P_ALL, PacketSocket } from './socket/packet-socket.js';
export type { PacketSocketOptions } from './socket/packet-socket.js';
export type { BpfAction, GactAction, MirredAction, PoliceAction, TcAction, Verdict } from './tc/actions.js';
export { listTcFilters, removeTsbccFilters } from './tc/clean.js';
export { TC_ACT } from './netlink/tc/tca.js';
export { TcDevice } from './tc/device.js';
export type { TcDeviceOptions } from './tc/device.js';
export type { FilterInfo } from './tc/filter-list.js';
export { TcFilterLink } from './tc/filter.js';
export type { BpfFilterOptions, FilterParent } from './tc/filter.js';
export { HtbClassLink } from './tc/htb.js';
export type { HtbClassSpec } from './tc/htb.js';
export { IfbLink } from './tc/ifb.js';
export type { IfbOptions } from './tc/ifb.js';
export type { ClsactSpec as ClsactQdisc } from './netlink/tc/qdisc/clsact.js';
export type { FqCodelSpec as FqCodelQdisc } from './netlink/tc/qdisc/fq_codel.js';
export type { HtbSpec as HtbQdisc } from './netlink/tc/qdisc/htb.js';
export type { IngressSpec as IngressQdisc } from './netlink/tc/qdisc/ingress.js';
export type { NetemSpec as NetemQdisc } from './netlink/tc/qdisc/netem.js';
export type { PrioSpec as PrioQdisc } from './netlink/tc/qdisc/prio.js';
export type { SfqSpec as SfqQdisc } from './netlink/tc/qdisc/sfq.js';
export type { TbfSpec as TbfQdisc } from './netlink/tc/qdisc/tbf.js';
export type { QdiscSpec } from './netlink/tc/qdisc.js';
export { QdiscLink, listQdiscs } from './tc/qdisc.js';
export type { QdiscInfo, QdiscOptions } from './tc/qdisc.js';
export type { KeepOption } from './tc/tc-link.js';
export type { DeviceTarget as TcTarget } from './netlink/device.js';
export { XdpLink, attachXdp, xdpState } from './xdp/xdp.js';
export type { XdpMode, XdpOptions, XdpState } from './xdp/xdp.js';

// Recipes
export { RateLimit } from './recipes/rate-limit.js';
export type { RateClass, RateLimitOptions, RateLimitStrategy } from './recipes/rate-limit.js';
export { perIpClassifierSource } from './recipes/per-ip-classifier.js';
export type { PerIpClassifierShape } from './recipes/per-ip-classifier.js';
export { PerIpRateLimit } from './recipes/per-ip-rate-limit.js';
export type {
  PerIpClass,
  PerIpClassCount,
  PerIpEntry,
  PerIpLearnOptions,
  PerIpRateLimitOptions,
} from './recipes/per-ip-rate-limit.js';
export { vxlanFlowRegistry } from './recipes/vxlan-flow-metrics.js';
export { VXLAN_SKIPPED, vxlanFlowSource } from './recipes/vxlan-flow-source.js';
export { FlowTracker, VxlanFlowMonitor, flowId } from './recipes/vxlan-flow-monitor.js';
export type {
  FlowSample,
  TrackedFlow,
  VxlanFlow,
  VxlanFlowMonitorOptions,
  VxlanSkipped,
  VxlanWatchOptions,
} from './recipes/vxlan-flow-monitor.js';

// Deployment (tsbcc flowmon and tsbcc ratelimit as a library)
export { startDashboard } from './deploy/dashboard-server.js';
export type { DashboardInfo, DashboardOptions, DashboardServer } from './deploy/dashboard-server.js';
export { readFlowmonConfig, resolveFlowmonOptions } from './deploy/flowmon-options.js';
export type { FlowmonInput, FlowmonOptions, ListenAddress } from './deploy/flowmon-options.js';
export { Flowmon } from './deploy/flowmon.js';
export type { FlowmonLog } from './deploy/flowmon.js';
export { PolicyError, checkPolicy, checkPolicyOnHost, readPolicy } from './deploy/ratelimit-policy.js';
export type {
  HostInterface,
  PolicyClass,
  PolicyDirection,
  PolicyPrefix,
  PolicyProblem,
  RatePolicy,
} from './deploy/ratelimit-policy.js';
export { checkPolicyHere, hostInterfaces } from './deploy/ratelimit-host.js';

// Topology
export { TopologyValidationError } from './topology/checks.js';
export type { Problem } from './topology/checks.js';
export { Network } from './topology/network.js';
export type { ConnectivityMatrix, NetworkOptions, ProgramAttacher } from './topology/network.js';
export type {
  Plan,
  PlanBridge,
  PlanIface,
  PlanNamespace,
  PlanProgram,
  PlanRoute,
  PlanShaping,
  PlanTcFilter,
  PlanVeth,
  PlanVxlan,
} from './topology/plan.js';
export { HostProcess, execIn, waitFor } from './topology/process.js';
export type { ExecOptions, ExecResult, SpawnOptions } from './topology/process.js';
export type { ProgressEvent, Step } from './topology/realise.js';
export type {
  BridgeSpec,
  HostSpec,
  LinkEnd,
  LinkSpec,
  RouteDef,
  ShapingSpec,
  TcProgramAction,
  TcProgramOptions,
  TcProgramSpec,
  TopologySpec,
  VxlanDef,
} from './topology/spec.js';
export { Topology } from './topology/topology.js';
export { loadTopologyFile, parseTopologyYaml } from './topology/yaml.js';

// Kernel features
export { FEATURES, FEATURE_NAMES, featureInfo } from './features/catalog.js';
export type { FeatureInfo, FeatureName } from './features/catalog.js';
export { FeatureSet, features } from './features/probe.js';
export type { FeatureResult, FeatureStatus } from './features/probe.js';

// Errors and logging
export {
  ClosedError,
  CompileError,
  InvalidArgumentError,
  NetlinkError,
  NotSupportedError,
  SyscallError,
  TopologyError,
  TsbccError,
  VerifierError,
  formatDiagnostic,
} from './errors.js';
export type { Diagnostic } from './errors.js';
export { createStderrLogger, logger, setLogger } from './logger.js';
export type { LogLevel, Logger } from './logger.js';
