"""Lab 01: wrong solutions the grader must catch, and right ones it must pass (tools/lab-ci mutants 01)."""
from labgrade import edit, hole, mutant, variant

F = "src/logline.cpp"
TAKE = "uint32_t ticket = __atomic_fetch_add(&lock.next, 1, __ATOMIC_RELAXED);"
PREFIX_OLD = 'n = ksnprintf(line, cap, "[%5u.%06u] cpu%u: %s", (unsigned)(us / 1000000), (unsigned)(us % 1000000),'

mutant("tas_lock", breaks=["lock_fifo"], what="a test-and-set lock: exclusive, but unfair",
       edits=[hole(F, "take a ticket", """
    while (__atomic_exchange_n(&lock.next, 1u, __ATOMIC_ACQUIRE) != 0) out.wait(out.ctx);
    out.write(line, len, out.ctx);
    __atomic_store_n(&lock.next, 0u, __ATOMIC_RELEASE);
""")])
mutant("ticket_not_atomic", breaks=["ticket_atomic"], what="the ticket read and written back in two steps",
       edits=[edit(F, TAKE, "uint32_t ticket = lock.next;\n    lock.next = ticket + 1;")])
mutant("release_before_write", breaks=["lock_whole_lines"], what="the next ticket served before the line is written",
       edits=[hole(F, "take a ticket", """
    uint32_t ticket = __atomic_fetch_add(&lock.next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&lock.serving, __ATOMIC_ACQUIRE) != ticket) out.wait(out.ctx);
    __atomic_store_n(&lock.serving, ticket + 1, __ATOMIC_RELEASE);
    out.write(line, len, out.ctx);
""")])
mutant("no_lock", breaks=["lock_whole_lines"], what="a ticket taken and served, but nobody waits for it",
       edits=[hole(F, "take a ticket", """
    uint32_t ticket = __atomic_fetch_add(&lock.next, 1, __ATOMIC_RELAXED);
    out.write(line, len, out.ctx);
    __atomic_store_n(&lock.serving, ticket + 1, __ATOMIC_RELEASE);
""")])
mutant("milliseconds", breaks=["prefix_format"], what="the fraction in milliseconds, padded to 6 digits",
       edits=[edit(F, "(unsigned)(us % 1000000),", "(unsigned)(us % 1000000 / 1000),")])
mutant("not_zero_padded", breaks=["prefix_format"], what="the microseconds without zero padding",
       edits=[edit(F, PREFIX_OLD, PREFIX_OLD.replace("%06u", "%6u"))])
mutant("tag_before_stamp", breaks=["prefix_format"], what="WARN:/ERROR: placed before the timestamp",
       edits=[edit(F, PREFIX_OLD, PREFIX_OLD.replace('"[%5u.%06u] cpu%u: %s"', '"%s[%5u.%06u] cpu%u: "')
                   .replace("(unsigned)(us / 1000000)", "h.tag, (unsigned)(us / 1000000)")),
              edit(F, "h.cpu, h.tag);\n    } else", "h.cpu);\n    } else")])
mutant("cut_drops_newline", breaks=["truncation", "long_line"], what="a cut line loses its newline",
       edits=[hole(F, "append the message", """
    if (n < cap) n += kvsnprintf(line + n, cap - n, fmt, ap);
    if (n >= cap - 1) {
        n = cap - 1;
        line[n - 3] = line[n - 2] = line[n - 1] = '.';
        line[n] = '\\0';
        return n;
    }
    line[n++] = '\\n';
    line[n] = '\\0';
""")])
mutant("cut_without_dots", breaks=["truncation", "long_line"], what="a cut line is cut silently, no '...'",
       edits=[edit(F, "line[n - 3] = line[n - 2] = line[n - 1] = '.';", "")])
mutant("dots_past_buffer", breaks=["truncation"], what="the '...' and newline written after the last byte",
       edits=[hole(F, "append the message", """
    if (n < cap) n += kvsnprintf(line + n, cap - n, fmt, ap);
    if (n >= cap - 1) {
        n = cap - 1;
        line[n] = line[n + 1] = line[n + 2] = '.';
        n += 3;
    }
    line[n++] = '\\n';
    line[n] = '\\0';
""")])
mutant("off_by_one_cut", breaks=["truncation"], what="cuts only when the message overflowed (n >= cap): newline past the end",
       edits=[edit(F, "if (n >= cap - 1) {", "if (n >= cap) {")])

variant("prefix_in_two_calls", what="stamp and CPU first, the tag appended by a second call", edits=[
    hole(F, "the prefix", """
    if (!h.clock) {
        n = ksnprintf(line, cap, "[    ?.??????] cpu%u: ", h.cpu);
    } else {
        uint64_t secs = h.ns / 1000000000, micros = h.ns % 1000000000 / 1000;
        n = ksnprintf(line, cap, "[%5llu.%06llu] cpu%u: ", (unsigned long long)secs,
                      (unsigned long long)micros, h.cpu);
    }
    n += ksnprintf(line + n, cap - n, "%s", h.tag);
""")])
variant("lock_with_acq_rel", what="a stronger ordering everywhere and a do-while wait, still FIFO", edits=[
    hole(F, "take a ticket", """
    const uint32_t mine = __atomic_fetch_add(&lock.next, 1u, __ATOMIC_ACQ_REL);
    for (;;) {
        if (__atomic_load_n(&lock.serving, __ATOMIC_SEQ_CST) == mine) break;
        out.wait(out.ctx);
    }
    out.write(line, len, out.ctx);
    __atomic_fetch_add(&lock.serving, 1u, __ATOMIC_SEQ_CST);
""")])
variant("cut_with_memcpy", what="the cut written with memcpy of \"...\\n\" at the end", edits=[
    hole(F, "append the message", """
    size_t room = cap - n;
    size_t want = kvsnprintf(line + n, room, fmt, ap);
    if (want + 1 < room) {
        n += want;
    } else {
        n = cap - 2;
        memcpy(line + n - 3, "...", 3);
    }
    line[n] = '\\n';
    line[++n] = '\\0';
""")])
