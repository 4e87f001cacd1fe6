// Table methods: `m.method(args)` where m is a map variable, rewritten to helper calls on the
// libbpf map (`(void *)&m`). Arguments are copied as their already-rewritten text; nothing
// here adds a line.
#include <clang/AST/Type.h>

#include "compiler/bcc/context.h"

namespace tsbcc::bcc {

namespace {

// Records the event struct of an output map (first use). Returns true when the struct is
// anonymous or local to a function: BTF describes only what reaches file scope, so the caller
// declares a static variable of the type right there (`anchor`), which brings it into the
// object's BTF under the name __tsbcc_event_<map>.
bool recordEvent(Context& c, const MapDecl& m, const clang::Expr* data) {
  clang::QualType t = data->IgnoreParenImpCasts()->getType();
  if (t->isPointerType()) t = t->getPointeeType();
  const clang::RecordType* rt = t->getAs<clang::RecordType>();
  if (!rt || !rt->getDecl()->getDefinition()) return false;
  for (const auto& e : c.events)
    if (e.map == m.name) return false;
  EventDecl ev;
  ev.map = m.name;
  ev.type = c.typeName(t.getUnqualifiedType());
  const clang::RecordDecl* rd = rt->getDecl()->getDefinition();
  bool local = ev.type.find("(unnamed") != std::string::npos || ev.type.find("(anonymous") != std::string::npos ||
               !rd->getDeclContext()->getRedeclContext()->isFileContext();
  if (local) ev.type.clear();
  for (const clang::FieldDecl* f : rd->fields())
    ev.fields.push_back(f->getName().str() + "#" + f->getType().getAsString(c.ast.getPrintingPolicy()));
  c.events.push_back(std::move(ev));
  return local;
}

// The static variable that brings a local event struct into BTF (see recordEvent).
std::string eventAnchor(const MapDecl& m, const std::string& data) {
  return "static __attribute__((section(\".tsbcc.events\"), used)) typeof(*(" + data + ")) __tsbcc_event_" +
         m.name + "; ";
}

}  // namespace

bool rewriteTableCall(Context& c, clang::CallExpr* call) {
  auto* me = llvm::dyn_cast<clang::MemberExpr>(call->getCallee()->IgnoreImpCasts());
  if (!me || me->isArrow()) return false;
  const MapDecl* m = c.mapOf(me->getBase());
  if (!m) return false;
  std::string method = me->getMemberDecl()->getName().str();
  if (c.inMacro(call->getSourceRange())) {
    c.error(call->getBeginLoc(), "cannot use map function inside a macro");
    return true;
  }
  std::vector<std::string> a;
  for (unsigned i = 0; i < call->getNumArgs(); i++) a.push_back(c.text(call->getArg(i)));
  auto arg = [&](size_t i, const char* dflt = nullptr) -> std::string {
    if (i < a.size()) return a[i];
    return dflt ? dflt : "0";
  };
  const std::string map = "(void *)&" + m->name;
  std::string out;
  if (method == "lookup") {
    // typed like the table's lookup member, so `*m.lookup(&k)` and `m.lookup(&k)->f` work
    out = "bpf_map_lookup_elem(" + map + ", " + arg(0) + ")";
    if (!m->valueType.empty()) out = "((typeof(" + m->valueType + ") *)" + out + ")";
  } else if (method == "update") {
    out = "bpf_map_update_elem(" + map + ", " + arg(0) + ", " + arg(1) + ", BPF_ANY)";
  } else if (method == "insert") {
    if (m->type == 2 || m->type == 6)
      c.warning(call->getBeginLoc(), "all elements of an array map exist: insert() will have no effect");
    out = "bpf_map_update_elem(" + map + ", " + arg(0) + ", " + arg(1) + ", BPF_NOEXIST)";
  } else if (method == "delete") {
    out = "bpf_map_delete_elem(" + map + ", " + arg(0) + ")";
  } else if (method == "lookup_or_try_init" || method == "lookup_or_init") {
    out = "({ typeof(*" + m->name + ".value) *_leaf = bpf_map_lookup_elem(" + map + ", " + arg(0) +
          "); if (!_leaf) { bpf_map_update_elem(" + map + ", " + arg(0) + ", " + arg(1) +
          ", BPF_NOEXIST); _leaf = bpf_map_lookup_elem(" + map + ", " + arg(0) + ");";
    if (method == "lookup_or_init") out += " if (!_leaf) return 0;";
    out += " } _leaf; })";
  } else if (method == "increment" || method == "atomic_increment") {
    std::string n = a.size() > 1 ? a[1] : "1";
    std::string add = method == "atomic_increment" ? "lock_xadd(_leaf, " + n + ");" : "(*_leaf) += " + n + ";";
    out = "({ typeof(*" + m->name + ".key) _key = " + arg(0) + "; typeof(*" + m->name +
          ".value) *_leaf = bpf_map_lookup_elem(" + map + ", &_key); if (_leaf) { " + add + " }";
    if (m->type == 1)
      out += " else { typeof(*" + m->name + ".value) _zleaf; __builtin_memset(&_zleaf, 0, sizeof(_zleaf)); _zleaf += " +
             n + "; bpf_map_update_elem(" + map + ", &_key, &_zleaf, BPF_NOEXIST); }";
    out += " })";
  } else if (method == "call") {
    out = "bpf_tail_call_(" + map + ", " + arg(0) + ", " + arg(1) + ")";
  } else if (method == "perf_submit") {
    out = "bpf_perf_event_output(" + arg(0) + ", " + map + ", CUR_CPU_IDENTIFIER, " + arg(1) + ", " + arg(2) + ")";
    if (call->getNumArgs() > 1 && recordEvent(c, *m, call->getArg(1)))
      out = "({ " + eventAnchor(*m, arg(1)) + out + "; })";
  } else if (method == "perf_submit_skb") {
    out = "bpf_perf_event_output(" + arg(0) + ", " + map + ", ((__u64)" + arg(1) + " << 32) | BPF_F_CURRENT_CPU, " +
          arg(2) + ", " + arg(3) + ");";
  } else if (method == "get_stackid") {
    if (m->type != 7) {
      c.error(call->getBeginLoc(), "get_stackid only available on stacktrace maps");
      return true;
    }
    out = "bcc_get_stackid(" + map + ", " + arg(0) + ", " + arg(1) + ")";
  } else if (method == "perf_read") {
    out = "bpf_perf_event_read(" + map + ", " + arg(0) + ")";
  } else if (method == "perf_counter_value") {
    out = "bpf_perf_event_read_value(" + map + ", " + arg(0) + ", " + arg(1) + ", " + arg(2) + ")";
  } else if (method == "check_current_task") {
    out = "bpf_current_task_under_cgroup(" + map + ", " + arg(0) + ")";
  } else if (method == "redirect_map") {
    out = "bpf_redirect_map(" + map + ", " + arg(0) + ", " + arg(1) + ")";
  } else if (method == "push") {
    out = "bpf_map_push_elem(" + map + ", " + arg(0) + ", " + arg(1) + ")";
  } else if (method == "pop") {
    out = "bpf_map_pop_elem(" + map + ", " + arg(0) + ")";
  } else if (method == "peek") {
    out = "bpf_map_peek_elem(" + map + ", " + arg(0) + ")";
  } else if (method == "ringbuf_output") {
    out = "bpf_ringbuf_output(" + map + ", " + arg(0) + ", " + arg(1) + ", " + arg(2) + ")";
    if (call->getNumArgs() > 0 && recordEvent(c, *m, call->getArg(0)))
      out = "({ " + eventAnchor(*m, arg(0)) + out + "; })";
  } else if (method == "ringbuf_reserve") {
    out = "bpf_ringbuf_reserve(" + map + ", " + arg(0) + ", 0)";
  } else if (method == "ringbuf_submit") {
    out = "bpf_ringbuf_submit(" + arg(0) + ", " + arg(1) + ")";
    if (call->getNumArgs() > 0 && recordEvent(c, *m, call->getArg(0)))
      out = "({ " + eventAnchor(*m, arg(0)) + out + "; })";
  } else if (method == "ringbuf_discard") {
    out = "bpf_ringbuf_discard(" + arg(0) + ", " + arg(1) + ")";
  } else if (method == "ringbuf_query") {
    out = "bpf_ringbuf_query(" + map + ", " + arg(0) + ")";
  } else if (method == "sk_storage_get" || method == "inode_storage_get" || method == "task_storage_get") {
    out = "bpf_" + method + "(" + map + ", " + arg(0) + ", " + arg(1) + ", " + arg(2) + ")";
  } else if (method == "sk_storage_delete" || method == "inode_storage_delete" || method == "task_storage_delete") {
    out = "bpf_" + method + "(" + map + ", " + arg(0) + ")";
  } else if (method == "get_local_storage") {
    out = "bpf_get_local_storage(" + map + ", " + arg(0) + ")";
  } else if (method == "sock_map_update" || method == "sock_hash_update") {
    out = "bpf_" + method + "(" + arg(0) + ", " + map + ", " + arg(1) + ", " + arg(2) + ");";
  } else if (method == "msg_redirect_hash" || method == "sk_redirect_hash" || method == "msg_redirect_map" ||
             method == "sk_redirect_map") {
    out = "bpf_" + method + "(" + arg(0) + ", " + map + ", " + arg(1) + ", " + arg(2) + ")";
  } else {
    c.error(me->getMemberLoc(), "invalid bpf_table operation " + method);
    return true;
  }
  c.rw.ReplaceText(call->getSourceRange(), out);
  return true;
}

bool rewriteTableMember(Context& c, clang::MemberExpr* me) {
  if (me->isArrow()) return false;
  const MapDecl* m = c.mapOf(me->getBase());
  if (!m) return false;
  std::string member = me->getMemberDecl()->getName().str();
  if (c.inMacro(me->getSourceRange())) return true;
  if (member == "key") c.rw.ReplaceText(me->getSourceRange(), "(*" + m->name + ".key)");
  else if (member == "leaf") c.rw.ReplaceText(me->getSourceRange(), "(*" + m->name + ".value)");
  return true;
}

}  // namespace tsbcc::bcc
