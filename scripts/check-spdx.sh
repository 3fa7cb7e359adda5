#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every source file says its license in its first 3 lines:
#   // SPDX-License-Identifier: MIT        (C++, C)
#   # SPDX-License-Identifier: MIT         (shell, Python, CMake; after a #! line)
# Source files: *.cpp *.hpp *.c *.h *.sh *.py *.cmake and CMakeLists.txt,
# and the shell completions (*.bash *.zsh *.fish, completion/_daemonkit),
# tracked or new (not ignored). Lists each file without the line and exits 1.
#
#   ./scripts/check-spdx.sh      (also: ./scripts/check-static.sh spdx)
set -euo pipefail
cd "$(dirname "$0")/.."

patterns=('*.cpp' '*.hpp' '*.c' '*.h' '*.sh' '*.py' '*.cmake' 'CMakeLists.txt' '*/CMakeLists.txt'
  '*.bash' '*.zsh' '*.fish' 'completion/_daemonkit')
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${patterns[@]}" | sort -u)
else
  # A tree without git (an unpacked tarball): every matching file but build dirs.
  names=()
  for p in "${patterns[@]}"; do names+=(-o -name "${p##*/}"); done
  mapfile -t files < <(find . \( -path './build' -o -path './build-*' -o -path './.git' \) -prune -o -type f \
    \( "${names[@]:1}" \) -print | sed 's|^\./||' | sort)
fi

missing=()
for f in "${files[@]}"; do
  [[ -f $f ]] || continue  # deleted but still in the index
  head -n 3 -- "$f" | grep -Eq 'SPDX-License-Identifier: MIT([[:space:]]|\*/|$)' || missing+=("$f")
done

echo "spdx: ${#files[@]} files, ${#missing[@]} without 'SPDX-License-Identifier: MIT' in their first 3 lines"
if ((${#missing[@]} > 0)); then
  printf '  %s\n' "${missing[@]}"
  echo "  fix: add '// SPDX-License-Identifier: MIT' (C++) or '# SPDX-License-Identifier: MIT' (after any #! line)"
  exit 1
fi
