/// @file multiboot2.h
/// The Multiboot2 boot information, checked and copied into a fixed-size Mb2Info.
///
/// GRUB leaves the boot information somewhere in memory and passes its address
/// in EBX with the magic 0x36d76289 in EAX (Multiboot2 1.0 section 3.3). It is
/// a header {total_size, reserved} followed by tags {type, size, payload},
/// each starting on an 8-byte boundary, ending with a tag of type 0 (section
/// 3.6). mb2_parse() checks every size before it reads and never trusts the
/// structure: the kernel boots on with what could be read, and says what could
/// not. Strings and the ACPI RSDP copies are left where they are (pointers into
/// the information), so the kernel keeps that memory reserved.
#pragma once
#include "types.h"

/// The value a Multiboot2 boot loader leaves in EAX (Multiboot2 1.0 section 3.3).
constexpr uint32_t kMb2BootloaderMagic = 0x36d76289;

/// Tag types of the boot information (Multiboot2 1.0 section 3.6).
enum Mb2Tag : uint32_t {
    kMb2TagEnd = 0,              ///< Last tag, size 8.
    kMb2TagCmdline = 1,          ///< Command line string.
    kMb2TagLoaderName = 2,       ///< Boot loader name string.
    kMb2TagModule = 3,           ///< A boot module: start, end, string.
    kMb2TagBasicMeminfo = 4,     ///< Lower and upper memory in KiB.
    kMb2TagBootdev = 5,          ///< BIOS boot device (not kept).
    kMb2TagMmap = 6,             ///< Memory map.
    kMb2TagVbe = 7,              ///< VBE information (not kept).
    kMb2TagFramebuffer = 8,      ///< Framebuffer information.
    kMb2TagElfSections = 9,      ///< ELF section headers (the symbol table's place).
    kMb2TagApm = 10,             ///< APM table (not kept).
    kMb2TagEfi32 = 11,           ///< 32-bit EFI system table pointer.
    kMb2TagEfi64 = 12,           ///< 64-bit EFI system table pointer.
    kMb2TagSmbios = 13,          ///< SMBIOS tables (not kept).
    kMb2TagAcpiOld = 14,         ///< Copy of the ACPI 1.0 RSDP.
    kMb2TagAcpiNew = 15,         ///< Copy of the ACPI 2.0+ RSDP.
    kMb2TagNetwork = 16,         ///< DHCP ACK (not kept).
    kMb2TagEfiMmap = 17,         ///< EFI memory map (not kept).
    kMb2TagEfiBootServices = 18, ///< EFI boot services were not terminated.
    kMb2TagEfi32Handle = 19,     ///< 32-bit EFI image handle (not kept).
    kMb2TagEfi64Handle = 20,     ///< 64-bit EFI image handle (not kept).
    kMb2TagLoadBase = 21,        ///< Physical address the image was loaded at.
};

/// Memory map region types (Multiboot2 1.0 section 3.6.8).
enum Mb2MemType : uint32_t {
    kMb2MemAvailable = 1,       ///< RAM free for use.
    kMb2MemReserved = 2,        ///< Not to be used.
    kMb2MemAcpiReclaimable = 3, ///< Holds ACPI tables; usable once they are read.
    kMb2MemNvs = 4,             ///< Must be preserved across hibernation.
    kMb2MemBad = 5,             ///< Defective RAM.
};

/// One memory map entry, as given (bounds are not rounded or checked).
struct Mb2MemRegion {
    uint64_t base;  ///< Physical start address.
    uint64_t len;   ///< Length in bytes.
    uint32_t type;  ///< An Mb2MemType, or another value meaning "not available".
};

/// One boot module loaded by the boot loader.
struct Mb2Module {
    uint32_t start;       ///< Physical address of its first byte.
    uint32_t end;         ///< Physical address one past its last byte.
    const char* cmdline;  ///< Its string (NUL-terminated, inside the information).
};

/// Framebuffer description (Multiboot2 1.0 section 3.6.12); colour info not kept.
struct Mb2Framebuffer {
    uint64_t addr;    ///< Physical address of the framebuffer.
    uint32_t pitch;   ///< Bytes per line.
    uint32_t width;   ///< Pixels, or characters in EGA text mode.
    uint32_t height;  ///< Lines, or characters in EGA text mode.
    uint8_t bpp;      ///< Bits per pixel.
    uint8_t type;     ///< 0 indexed, 1 direct RGB, 2 EGA text.
};

/// What mb2_parse() found. Absent items are nullptr, 0 or false.
struct Mb2Info {
    /// Capacity of `mmap`; more entries are dropped with a warning.
    static constexpr size_t kMaxRegions = 128;
    /// Capacity of `modules`; more modules are dropped with a warning.
    static constexpr size_t kMaxModules = 16;

    uint32_t total_size = 0;          ///< total_size from the header, as given.
    const char* cmdline = nullptr;    ///< Kernel command line (tag 1).
    const char* loader_name = nullptr; ///< Boot loader name (tag 2).

    bool has_meminfo = false;   ///< Tag 4 was present.
    uint32_t mem_lower_kib = 0; ///< KiB of memory from 0 (at most 640).
    uint32_t mem_upper_kib = 0; ///< KiB of memory from 1 MiB up to the first hole.

    Mb2MemRegion mmap[kMaxRegions] = {}; ///< The memory map (tag 6), in the given order.
    size_t mmap_count = 0;               ///< Entries in `mmap`.
    bool mmap_truncated = false;         ///< The map had more than kMaxRegions entries.

    const uint8_t* rsdp_old = nullptr; ///< Copy of the ACPI 1.0 RSDP (tag 14).
    size_t rsdp_old_len = 0;           ///< Its length in bytes (at least 20).
    const uint8_t* rsdp_new = nullptr; ///< Copy of the ACPI 2.0+ RSDP (tag 15).
    size_t rsdp_new_len = 0;           ///< Its length in bytes (at least 36).

    bool has_framebuffer = false; ///< Tag 8 was present.
    Mb2Framebuffer fb = {};       ///< The framebuffer, when `has_framebuffer`.

    bool has_efi32 = false;          ///< Tag 11: booted by 32-bit UEFI firmware.
    bool has_efi64 = false;          ///< Tag 12: booted by 64-bit UEFI firmware.
    uint64_t efi_system_table = 0;   ///< Physical address from tag 11 or 12.
    bool efi_boot_services = false;  ///< Tag 18: boot services are still running.

    Mb2Module modules[kMaxModules] = {}; ///< Boot modules (tag 3).
    size_t module_count = 0;             ///< Entries in `modules`.

    /// Tag 9: the kernel's ELF section headers (GRUB's layout: 32-bit num,
    /// entsize and shndx after the tag header), each inside the tag.
    const uint8_t* elf_sections = nullptr;
    uint32_t elf_num = 0;      ///< Section headers at `elf_sections`.
    uint32_t elf_entsize = 0;  ///< Bytes each: 40 (ELF32) or 64 (ELF64).

    bool has_load_base = false; ///< Tag 21 was present.
    uint32_t load_base = 0;     ///< Physical load address of the kernel image.

    size_t skipped_tags = 0; ///< Tags read but not kept (unknown or not needed).
};

/// True when @p eax holds the Multiboot2 boot loader magic.
inline bool mb2_magic_ok(uint32_t eax) { return eax == kMb2BootloaderMagic; }

/// Parse the boot information at @p info into @p out (reset first).
/// @param info  the boot information; nullptr is reported and gives false.
/// @param avail how many bytes from @p info the caller can vouch for; the parser
///              reads nothing beyond min(avail, total_size).
/// @param out   receives everything that was validly read, also on failure.
/// @return false when the structure is corrupt or truncated (each problem is
///         reported with one warning line); the walk stops at the first tag
///         whose size cannot be trusted, and a malformed tag whose size is
///         sound is dropped while the walk goes on.
bool mb2_parse(const uint8_t* info, size_t avail, Mb2Info& out);

/// A short name for a memory map type ("available", "reserved", "acpi",
/// "nvs", "bad", or "type?" for others), for printing the map.
const char* mb2_mem_type_name(uint32_t type);
