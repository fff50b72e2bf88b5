/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel definitions the guest table decoders use, for building the
 * very same decoder sources into userspace tests and fuzzers.
 */
#ifndef _VIOMMU_FMT_USER_H
#define _VIOMMU_FMT_USER_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint8_t u8;

#define BIT_ULL(n)		(1ULL << (n))
#define GENMASK_ULL(h, l)	((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define viommu_le64_to_cpu(raw)	le64toh(raw)
#define viommu_be64_to_cpu(raw)	be64toh(raw)

#endif /* _VIOMMU_FMT_USER_H */
