// Packet access: `v->field` where v is a variable whose type points to a struct marked
// deprecated("packet") (include/bcc/proto.h's BPF_PACKET_HEADER) is a packet offset, not a
// pointer. Reads become bpf_dext_pkt(ctx, off, bit, width); writes bpf_dins_pkt(...).
// Compound assignments (`ip->ttl -= 1`) read, combine and write (BCC stores only the RHS: a
// deliberate difference, see docs/dialect.md).
#include <clang/AST/Attr.h>
#include <clang/AST/RecordLayout.h>

#include "compiler/bcc/context.h"

namespace tsbcc::bcc {

namespace {

struct PacketField {
  const clang::DeclRefExpr* base = nullptr;
  uint64_t bitOffset = 0;
  uint64_t bitSize = 0;
};

bool isPacketRecord(const clang::RecordDecl* rd) {
  if (!rd) return false;
  for (const auto* attr : rd->attrs())
    if (const auto* d = llvm::dyn_cast<clang::DeprecatedAttr>(attr))
      if (d->getMessage() == "packet") return true;
  return false;
}

// The packet field a member expression designates, if it is one.
bool packetField(Context& c, const clang::Expr* e, PacketField& out) {
  const auto* me = llvm::dyn_cast<clang::MemberExpr>(e);
  if (!me || !me->isArrow()) return false;
  const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(me->getBase()->IgnoreImpCasts());
  if (!ref) return false;
  clang::QualType t = ref->getDecl()->getType();
  if (!t->isPointerType()) return false;
  const clang::RecordType* rt = t->getPointeeType()->getAs<clang::RecordType>();
  if (!rt || !isPacketRecord(rt->getDecl())) return false;
  const auto* fd = llvm::dyn_cast<clang::FieldDecl>(me->getMemberDecl());
  if (!fd) return false;
  if (fd->getType()->isArrayType()) return false;
  const clang::ASTRecordLayout& layout = c.ast.getASTRecordLayout(fd->getParent());
  out.base = ref;
  out.bitOffset = layout.getFieldOffset(fd->getFieldIndex());
  out.bitSize = fd->isBitField() ? fd->getBitWidthValue(c.ast) : c.ast.getTypeSize(fd->getType());
  return true;
}

std::string location(const PacketField& f) {
  return "(u64)" + f.base->getDecl()->getName().str() + " + " + std::to_string(f.bitOffset / 8) + ", " +
         std::to_string(f.bitOffset % 8) + ", " + std::to_string(f.bitSize);
}

}  // namespace

bool rewritePacketRead(Context& c, clang::ImplicitCastExpr* cast) {
  if (cast->getCastKind() != clang::CK_LValueToRValue) return false;
  PacketField f;
  if (!packetField(c, cast->getSubExpr(), f)) return false;
  const clang::Expr* me = cast->getSubExpr();
  if (c.inMacro(me->getSourceRange())) {
    c.error(me->getBeginLoc(), "cannot use \"packet\" header type inside a macro");
    return true;
  }
  c.rw.ReplaceText(me->getSourceRange(), "bpf_dext_pkt(" + c.ctxName + ", " + location(f) + ")");
  return true;
}

bool rewritePacketWrite(Context& c, clang::BinaryOperator* op) {
  if (!op->isAssignmentOp()) return false;
  PacketField f;
  const clang::Expr* lhs = op->getLHS();
  if (!packetField(c, lhs, f)) return false;
  if (c.inMacro(op->getSourceRange())) {
    if (op->getRHS()->getEndLoc().isMacroID() && !op->getLHS()->getBeginLoc().isMacroID())
      c.error(op->getRHS()->getBeginLoc(),
              "the right-hand side of a packet header write must not end in a macro: put it in parentheses");
    else
      c.error(op->getBeginLoc(), "cannot use \"packet\" header type inside a macro");
    return true;
  }
  std::string rhs = c.text(op->getRHS());
  std::string value = rhs;
  if (op->isCompoundAssignmentOp()) {
    std::string opText = clang::BinaryOperator::getOpcodeStr(clang::BinaryOperator::getOpForCompoundAssignment(op->getOpcode())).str();
    value = "bpf_dext_pkt(" + c.ctxName + ", " + location(f) + ") " + opText + " (" + rhs + ")";
  }
  c.rw.ReplaceText(op->getSourceRange(), "bpf_dins_pkt(" + c.ctxName + ", " + location(f) + ", " + value + ")");
  return true;
}

}  // namespace tsbcc::bcc
