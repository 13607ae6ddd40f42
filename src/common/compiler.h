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

/* An ASan/LSan build: LeakSanitizer stops the process at exit with a helper
 * that ptrace()s its threads, which the sandbox and the privilege drop must
 * then allow (daemon/sandbox.c, daemon/privdrop.c). Never set in a release. */
#if defined(__SANITIZE_ADDRESS__)
#define ATTLS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define ATTLS_SANITIZER 1
#endif
#endif

#endif
