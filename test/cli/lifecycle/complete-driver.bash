# Drives bash programmable completion the way `complete -F` does, for the completion tests.
# Usage: bash complete-driver.bash SCRIPT WORD... (the cursor is on the last word, which may be "").
# Prints COMPREPLY, one candidate per line.
source "$1" || exit 90
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_agent_exec "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
for c in "${COMPREPLY[@]}"; do printf '%s\n' "$c"; done
