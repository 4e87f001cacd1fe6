/* tsbcc: appended to every BCC-C program. Default license GPL; BPF_LICENSE may hold several
 * words (e.g. Dual BSD/GPL) and is stringized. Written for tsbcc. */
#ifndef __TSBCC_FOOTER_H
#define __TSBCC_FOOTER_H
#ifndef BPF_LICENSE
#define BPF_LICENSE GPL
#endif
#define __TSBCC_STR2(...) #__VA_ARGS__
#define __TSBCC_STR(...) __TSBCC_STR2(__VA_ARGS__)
char _license[] __attribute__((section("license"), used)) = __TSBCC_STR(BPF_LICENSE);
#endif
