/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The few primitives that let one header compile for BPF (clang -target bpf),
 * for DPDK and for ordinary user space: fixed-width types, byte order, forced
 * inlining and the single-copy loads the snapshot reader needs.
 *
 * Nothing here may call libc: the reply builder and the snapshot reader run
 * inside the BPF verifier's world.
 */
#pragma once

#include <linux/types.h>

/*
 * Inline without exception: the BPF target has no calls to spare. Spelled
 * out because <linux/stddef.h> defines __always_inline as a bare hint.
 */
#define STRATA_INLINE static inline __attribute__((always_inline))

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define strata_htons(x) ((__be16)__builtin_bswap16(x))
#define strata_ntohs(x) ((__u16)__builtin_bswap16(x))
#define strata_htonl(x) ((__be32)__builtin_bswap32(x))
#define strata_ntohl(x) ((__u32)__builtin_bswap32(x))
#define STRATA_CONST_HTONS(x) ((__be16)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))
#else
#define strata_htons(x) ((__be16)(x))
#define strata_ntohs(x) ((__u16)(x))
#define strata_htonl(x) ((__be32)(x))
#define strata_ntohl(x) ((__u32)(x))
#define STRATA_CONST_HTONS(x) ((__be16)(x))
#endif

#if defined(__bpf__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Linux 6.1's verifier knows nothing of a register after a byte swap
 * (BPF_END): a length read with ntohs() is any 64-bit value to it, and
 * packet pointer arithmetic with it is refused ("math between pkt pointer
 * and register with unbounded min value"). The mask gives the verifier back
 * the 16 bits; the empty asm hides from clang that the swap already fits,
 * so that the mask is emitted.
 */
STRATA_INLINE __u16
strata_bpf_ntohs(__be16 x)
{
	__u64 v = __builtin_bswap16(x);

	__asm__ __volatile__("" : "+r"(v));
	return (__u16)(v & 0xffff);
}
#undef strata_ntohs
#define strata_ntohs(x) strata_bpf_ntohs(x)
#endif

/*
 * Single-copy loads and stores, as the kernel's READ_ONCE/WRITE_ONCE: the
 * compiler may neither tear, merge nor repeat them. The snapshot reader
 * relies on this for the sequence word and the fields it copies.
 */
#define STRATA_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define STRATA_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/** Compiler-only barrier. */
#define strata_barrier() __asm__ __volatile__("" ::: "memory")

#if defined(__bpf__)
/*
 * BPF has no load-acquire before clang 18 / Linux 6.15. On x86-64, the only
 * architecture strata's XDP path targets, the JIT emits plain loads and the
 * CPU does not reorder loads with loads (TSO), so a compiler barrier is the
 * whole of smp_rmb(). A port to a weakly ordered CPU must revisit this.
 */
#define strata_rmb() strata_barrier()
#else
#define strata_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

#if defined(__SIZEOF_INT128__) && !defined(__bpf__)
/* __extension__ keeps -Wpedantic quiet about a GNU type we use on purpose */
__extension__ typedef unsigned __int128 strata_u128;
#endif

/*
 * Packet words read or written through another type than the header struct
 * that wrote them (checksums sum 32-bit words of any header). may_alias
 * keeps the compiler's strict-aliasing rules from moving those accesses
 * across the struct stores.
 */
typedef __u32 __attribute__((__may_alias__)) strata_alias_u32;

#define STRATA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
