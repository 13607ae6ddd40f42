/* SPDX-License-Identifier: Apache-2.0 */
/* Compiler helpers shared by every module. */
#ifndef ATTLS_COMPILER_H
#define ATTLS_COMPILER_H

#include <stddef.h>

#define ATTLS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ATTLS_NODISCARD __attribute__((warn_unused_result))
#define ATTLS_NORETURN __attribute__((noreturn))
#define ATTLS_UNUSED __attribute__((unused))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
