// Rewritten builtins: bpf_trace_printk (format kept in a stack array, its size passed),
// bpf_num_cpus() (the online CPU count), incr_cksum_l3/l4 (checksum helpers on ctx).
#include "compiler/bcc/context.h"

namespace tsbcc::bcc {

namespace {

// BCC's format checks: printable text, at most 3 conversions among %d %u %x %p %s (with l/ll),
// at most one %s. Warnings only.
void checkPrintkFormat(Context& c, const clang::Expr* fmtExpr) {
  const auto* lit = llvm::dyn_cast<clang::StringLiteral>(fmtExpr->IgnoreParenImpCasts());
  if (!lit) return;
  std::string f = lit->getString().str();
  int conversions = 0, strings = 0;
  for (size_t i = 0; i < f.size(); i++) {
    unsigned char ch = f[i];
    if (ch != '\n' && ch != '\t' && (ch < 32 || ch > 126)) {
      c.warning(fmtExpr->getBeginLoc(), "bpf_trace_printk format has a non-printable character");
      return;
    }
    if (ch != '%') continue;
    if (i + 1 < f.size() && f[i + 1] == '%') {
      i++;
      continue;
    }
    size_t j = i + 1;
    while (j < f.size() && (f[j] == '-' || f[j] == '+' || f[j] == ' ' || f[j] == '#' || f[j] == '0' ||
                            (f[j] >= '1' && f[j] <= '9')))
      j++;
    while (j < f.size() && f[j] == 'l') j++;
    char conv = j < f.size() ? f[j] : '\0';
    if (conv == 's') strings++;
    if (conv != 'd' && conv != 'i' && conv != 'u' && conv != 'x' && conv != 'X' && conv != 'p' && conv != 's') {
      c.warning(fmtExpr->getBeginLoc(), std::string("bpf_trace_printk does not support the %") +
                                            (conv ? std::string(1, conv) : std::string("")) + " conversion");
    }
    conversions++;
    i = j;
  }
  if (conversions > 3)
    c.warning(fmtExpr->getBeginLoc(), "bpf_trace_printk takes at most 3 arguments in its format");
  if (strings > 1) c.warning(fmtExpr->getBeginLoc(), "bpf_trace_printk supports at most one %s");
}

}  // namespace

bool rewriteBuiltinCall(Context& c, clang::CallExpr* call) {
  const clang::FunctionDecl* fd = call->getDirectCallee();
  if (!fd) return false;
  std::string name = fd->getName().str();
  if (name != "bpf_trace_printk" && name != "bpf_num_cpus" && name != "incr_cksum_l3" && name != "incr_cksum_l4" &&
      name != "bpf_usdt_readarg" && name != "bpf_usdt_readarg_p")
    return false;
  if (c.inMacro(call->getSourceRange())) {
    c.error(call->getBeginLoc(), "cannot use builtin " + name + " inside a macro");
    return true;
  }
  std::vector<std::string> a;
  for (unsigned i = 0; i < call->getNumArgs(); i++) a.push_back(c.text(call->getArg(i)));
  std::string out;
  if (name == "bpf_trace_printk") {
    if (a.empty()) {
      c.error(call->getBeginLoc(), "bpf_trace_printk needs a format string");
      return true;
    }
    // the format is copied into a stack array (`char _fmt[] = fmt;`): only a literal can be
    if (!llvm::isa<clang::StringLiteral>(call->getArg(0)->IgnoreParenImpCasts())) {
      c.error(call->getArg(0)->getBeginLoc(), "bpf_trace_printk needs a string literal as its format");
      return true;
    }
    if (a.size() > 4) {
      c.error(call->getArg(4)->getBeginLoc(), "bpf_trace_printk takes at most 3 arguments after the format");
      return true;
    }
    checkPrintkFormat(c, call->getArg(0));
    out = "({ char _fmt[] = " + a[0] + "; bpf_trace_printk_(_fmt, sizeof(_fmt)";
    for (size_t i = 1; i < a.size(); i++) out += ", " + a[i];
    out += "); })";
  } else if (name == "bpf_usdt_readarg" || name == "bpf_usdt_readarg_p") {
    // readers _bpf_readarg_<handler>_<n> come from the USDT contexts (generated header)
    std::string fn = c.currentFn ? c.currentFn->getName().str() : "";
    size_t want = name == "bpf_usdt_readarg" ? 3 : 4;
    if (a.size() != want) {
      c.error(call->getBeginLoc(), name + (want == 3 ? " takes (n, ctx, &value)" : " takes (n, ctx, buf, len)"));
      return true;
    }
    if (name == "bpf_usdt_readarg")
      out = "_bpf_readarg_" + fn + "_" + a[0] + "(" + a[1] + ", " + a[2] + ", sizeof(*(" + a[2] + ")))";
    else
      out = "({ u64 __addr = 0x0; _bpf_readarg_" + fn + "_" + a[0] + "(" + a[1] + ", &__addr, sizeof(__addr)); bpf_probe_read_user(" +
            a[2] + ", " + a[3] + ", (void *)__addr); })";
  } else if (name == "bpf_num_cpus") {
    out = std::to_string(c.opts.nOnlineCpus);
  } else if (name == "incr_cksum_l3") {
    if (a.size() != 3) {
      c.error(call->getBeginLoc(), "incr_cksum_l3 takes (offset, old, new)");
      return true;
    }
    out = "bpf_l3_csum_replace_(" + c.ctxName + ", (u64)" + a[0] + ", " + a[1] + ", " + a[2] + ", sizeof(" + a[2] + "))";
  } else {
    if (a.size() != 4) {
      c.error(call->getBeginLoc(), "incr_cksum_l4 takes (offset, old, new, pseudo_header)");
      return true;
    }
    out = "bpf_l4_csum_replace_(" + c.ctxName + ", (u64)" + a[0] + ", " + a[1] + ", " + a[2] + ", ((" + a[3] +
          " & 0x1) << 4) | sizeof(" + a[2] + "))";
  }
  c.rw.ReplaceText(call->getSourceRange(), out);
  return true;
}

}  // namespace tsbcc::bcc
