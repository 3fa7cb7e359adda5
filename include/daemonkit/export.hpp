// SPDX-License-Identifier: MIT
/// \file
/// What libdaemonkit.so exports: the declarations of include/daemonkit/, and
/// nothing else.
///
/// The library is compiled with `-fvisibility=hidden` and
/// `-fvisibility-inlines-hidden`, so its internals (src/: daemonkit::sys,
/// daemonkit::supervisor, file-local helpers, extern "C" signal handlers)
/// never reach a program's symbol table: a program's own function of the same
/// name neither clashes with them (static library) nor replaces them (shared
/// library). Each header under include/daemonkit/ wraps its namespace in
///
/// \code{.cpp}
/// DAEMONKIT_API_BEGIN
/// namespace daemonkit {
/// ...
/// }  // namespace daemonkit
/// DAEMONKIT_API_END
/// \endcode
///
/// which gives every declaration in it default visibility: classes with their
/// vtables, typeinfo and members, free functions, variables. A single
/// declaration (or a namespace: `namespace DAEMONKIT_API daemonkit {`) can use
/// DAEMONKIT_API instead.
///
/// Why a pragma rather than only the attribute on the namespace: clang takes a
/// free function's visibility from the namespace block its *definition* is
/// in, so a function declared in `namespace DAEMONKIT_API daemonkit {` and
/// defined in a plain `namespace daemonkit {` in src/ stays hidden (g++ takes
/// the declaration's). The pragma marks each declaration itself, and both
/// compilers carry that to the definition. For classes the attribute on the
/// namespace is enough with both.
///
/// libdaemonkit.so also links with a version script (src/daemonkit.map) that
/// keeps libstdc++'s template instantiations out of its dynamic symbols:
/// `nm -D --defined-only libdaemonkit.so | c++filt` lists daemonkit:: names
/// only.
///
/// The macros mean the same in a static library: there visibility only
/// matters if it is linked into a shared library of the program's, which then
/// exports daemonkit's API too (`-Wl,--exclude-libs,libdaemonkit.a` stops that).
#pragma once

/// Gives the one declaration (or namespace block) it marks default
/// visibility: libdaemonkit.so exports it.
#define DAEMONKIT_API [[gnu::visibility("default")]]
/// Gives every declaration from here to DAEMONKIT_API_END default
/// visibility: libdaemonkit.so exports them.
#define DAEMONKIT_API_BEGIN _Pragma("GCC visibility push(default)")
/// Ends the declarations DAEMONKIT_API_BEGIN exports.
#define DAEMONKIT_API_END _Pragma("GCC visibility pop")
