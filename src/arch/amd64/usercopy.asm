; Copying to and from user memory with fault recovery (docs/syscalls.md).
;
;   size_t copy_user_raw(void* dst, const void* src, size_t n)
;
; Returns the bytes NOT copied: 0 when all were. The caller (usercopy.cpp)
; has checked that the user side lies in [USER_BASE, USER_END); what it
; cannot know is whether each page is mapped (and writable). A page fault or
; #GP taken in ring 0 with RIP in [copy_user_fault_lo, copy_user_fault_hi)
; resumes at copy_user_fixup (trap.cpp): REP MOVSB leaves RCX at the bytes
; still to move when it faults (SDM Vol. 2B MOVS, REP), so the fixup returns
; it. The same idea as Linux's exception tables, with one entry.
bits 64
section .text
global copy_user_raw, copy_user_fault_lo, copy_user_fault_hi, copy_user_fixup

copy_user_raw:
    mov rcx, rdx
copy_user_fault_lo:
    rep movsb
copy_user_fault_hi:
    xor eax, eax
    ret
copy_user_fixup:
    mov rax, rcx
    ret
