# Cohort's front door. CMake does the building; this file only names the
# everyday commands. Each target that needs tools installs what is missing
# first (tools/install-deps), so a fresh Debian 12 machine needs one command.
#
#   make run                      boot amd64 with 4 CPUs, serial on this terminal
#   make run ARCH=i686 CPUS=8 CMDLINE="maxcpus=2 test=all"
#   make run FIRMWARE=uefi        amd64 under OVMF (q35)
#   make run SCREEN=gtk           a QEMU window too: the log mirrored on its VGA text screen
#   make test                     every unit and boot test
#   make test-quick               leave out the slow, fuzzing and Bochs lanes
#   make test TESTS=boot.amd64    only tests whose name matches (ctest -R)
#   make iso [ARCH= CMDLINE= ISO=]  ISOs to boot elsewhere
#   make stress [STRESS_FLAGS=]  20 boots of test=all beside a busy host process: N/20 and times
#   make bochs [HEADLESS=1]       the same ISO in Bochs 2.7 (ARCH=, CPUS= up to 16, APIC=x2apic)
#   make bench                    measure the SMP path: build/bench/results.md and pictures
#   make qemu-gdb / make gdb      boot stopped, then attach gdb (docs/debugging.md)
#   make docs                     the walkthrough: build/docs/html/index.html

ARCH     ?= amd64
CPUS     ?= 4
CMDLINE  ?=
BUILD    ?= build
FIRMWARE ?= bios
MACHINE  ?= $(if $(filter uefi,$(FIRMWARE)),q35,pc)
CPU      ?=
MEMORY   ?= 128M
ISO      ?=
QEMU_EXTRA ?=
SCREEN   ?= none
JOBS     ?= $(shell nproc)
TEST_JOBS ?= $(shell expr $$(nproc) + 2)
TESTS    ?=
TESTS_LABEL   ?=
TESTS_EXCLUDE ?=

QEMU := qemu-system-x86_64
OVMF := /usr/share/OVMF
# QEMU starts with transparent huge pages off, as in the boot tests and the
# bench: a vCPU thread zeroing a fresh 2 MiB page while it translates holds
# up the others (docs/bench.md). HOST_THP=1 keeps the host's setting.
HOST_THP ?=
QEMU_LAUNCH = $(if $(HOST_THP),,tools/no-thp)

# -serial mon:stdio: the serial console is this terminal, Ctrl-A X quits and
# Ctrl-A C switches to the QEMU monitor. isa-debug-exit lets the kernel end the
# run itself (33 pass, 35 fail, 37 panic); -no-reboot turns a triple fault
# into an exit instead of a reboot loop. With no window (SCREEN=none) there is
# no VGA card either: the kernel finds no text memory and leaves the VGA mirror
# off, which under TCG with many CPUs saves most of the boot (docs/logging.md).
QEMU_FLAGS = -machine $(MACHINE) $(if $(CPU),-cpu $(CPU)) -smp $(CPUS) -m $(MEMORY) \
	-display $(SCREEN) $(if $(filter none,$(SCREEN)),-vga none) -serial mon:stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	$(if $(filter uefi,$(FIRMWARE)),$(OVMF_FLAGS)) $(QEMU_EXTRA)
# UEFI: OVMF's code read-only, and a private copy of its variable store.
OVMF_FLAGS = -drive if=pflash,format=raw,readonly=on,file=$(OVMF)/OVMF_CODE_4M.fd \
	-drive if=pflash,format=raw,file=$(BUILD)/ovmf-vars.fd

# With CMDLINE the ISO is made fresh, its one entry booting that line at once;
# without it, the build's ISO shows its menu of useful command lines.
RUN_ISO = $(if $(CMDLINE),$(BUILD)/run-$(ARCH).iso,$(BUILD)/cohort-$(ARCH).iso)

.PHONY: all deps configure build boot-build run test test-quick unit iso clean
all: build

deps:
	@tools/install-deps

# Ninja when it is there (tools/install-deps installs it): with ccache's hits a
# tree builds in half the CPU time Make's own steps take; a folder configured
# before keeps its generator.
$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(if $(shell command -v ninja),-G Ninja)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# What one boot needs and no more: a newcomer's first make run compiles the
# kernel (and the menu ISO) of one arch, not the unit tests and fuzzers.
boot-build: configure
	cmake --build $(BUILD) -j$(JOBS) --target kernel-$(ARCH) $(if $(CMDLINE),,iso-$(ARCH))

run: boot-build
ifneq ($(CMDLINE),)
	tools/mkiso --arch $(ARCH) --kernel $(BUILD)/kernel-$(ARCH).elf --out $(RUN_ISO) --cmdline "$(CMDLINE)"
endif
ifeq ($(FIRMWARE),uefi)
	cp $(OVMF)/OVMF_VARS_4M.fd $(BUILD)/ovmf-vars.fd
endif
	@echo "cohort: booting $(RUN_ISO) with $(CPUS) CPUs; the serial console is this terminal, Ctrl-A X quits"
	@st=0; $(QEMU_LAUNCH) $(QEMU) $(QEMU_FLAGS) -boot d -cdrom $(RUN_ISO) || st=$$?; \
	case $$st in \
	  0|33) ;; \
	  35) echo "cohort: the kernel exited with fail (QEMU status 35)"; exit 1 ;; \
	  37) echo "cohort: the kernel panicked (QEMU status 37)"; exit 1 ;; \
	  *) echo "cohort: QEMU exit status $$st"; exit 1 ;; \
	esac

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(TEST_JOBS) \
	  $(if $(TESTS),-R '$(TESTS)') $(if $(TESTS_LABEL),-L '$(TESTS_LABEL)') \
	  $(if $(TESTS_EXCLUDE),-LE '$(TESTS_EXCLUDE)')

test-quick:
	@$(MAKE) --no-print-directory test TESTS_EXCLUDE='slow|fuzz|bochs'

unit: configure
	cmake --build $(BUILD) -j$(JOBS) --target unit_tests
	cd $(BUILD) && ctest --output-on-failure -j$(TEST_JOBS) -L unit

# make iso: build/cohort-amd64.iso and build/cohort-i686.iso (a menu of entries).
# make iso ARCH=amd64 CMDLINE="maxcpus=2 test=all" ISO=/some/path.iso: one ISO
# whose default entry boots that line with no wait.
iso: configure
ifeq ($(ISO)$(CMDLINE),)
	cmake --build $(BUILD) -j$(JOBS) --target iso-amd64 iso-i686
	@echo "cohort: $(BUILD)/cohort-amd64.iso $(BUILD)/cohort-i686.iso"
else
	cmake --build $(BUILD) -j$(JOBS) --target kernel-$(ARCH)
	tools/mkiso --arch $(ARCH) --kernel $(BUILD)/kernel-$(ARCH).elf \
	  --out $(or $(ISO),$(BUILD)/cohort-$(ARCH)-cmdline.iso) --cmdline "$(CMDLINE)"
	@echo "cohort: $(or $(ISO),$(BUILD)/cohort-$(ARCH)-cmdline.iso) boots \"$(CMDLINE)\""
endif

clean:
	@case "$(BUILD)" in ""|/|.|..) echo "clean: refusing to remove '$(BUILD)'"; exit 1 ;; esac
	rm -rf "$(BUILD)"

# make qemu-gdb: boot as make run does, stopped before the first instruction,
# with QEMU's gdb stub on a port of this user's own (26000 + uid % 5000), so
# two users of one machine do not collide. make gdb, in a second terminal,
# attaches gdb with the kernel's symbols and tools/gdb/cohort.py
# (docs/debugging.md). i686 runs under qemu-system-i386: the x86_64 binary's
# stub always describes the 64-bit registers, which gdb refuses for a 32-bit
# ELF; the CPU model stays make run's (qemu64 unless CPU= says otherwise).
GDB_PORT  ?= $(shell expr 26000 + `id -u` % 5000)
GDB_FLAGS ?=
QEMU_GDB   = $(if $(filter i686,$(ARCH)),qemu-system-i386 $(if $(CPU),,-cpu qemu64),$(QEMU))
GDB_ARCH   = $(if $(filter i686,$(ARCH)),i386,i386:x86-64)

.PHONY: qemu-gdb gdb docs
qemu-gdb: boot-build
	@echo "cohort: QEMU waits for gdb on localhost:$(GDB_PORT); in another terminal: make gdb ARCH=$(ARCH)"
	@$(MAKE) --no-print-directory run QEMU="$(QEMU_GDB)" \
	  QEMU_EXTRA="$(QEMU_EXTRA) -S -gdb tcp:127.0.0.1:$(GDB_PORT)"

gdb:
	@test -f $(BUILD)/kernel-$(ARCH).elf || { echo "gdb: no $(BUILD)/kernel-$(ARCH).elf: run make qemu-gdb ARCH=$(ARCH) first"; exit 1; }
	gdb -q -ex 'set architecture $(GDB_ARCH)' -ex 'source tools/gdb/cohort.py' \
	  -ex 'target remote localhost:$(GDB_PORT)' $(GDB_FLAGS) $(BUILD)/kernel-$(ARCH).elf

# make docs: the walkthrough and API reference in $(BUILD)/docs/html; every
# Doxygen warning is listed and fails the build (cmake/docs.cmake).
docs: configure
	cmake --build $(BUILD) --target docs
	@echo "cohort: $(BUILD)/docs/html/index.html"

# make bochs: the ISO (or, with CMDLINE, one that boots that line) in Bochs 2.7
# with tools/bochs/<arch>.bochsrc: CPUS= 1..16, APIC=x2apic for CPUs with
# x2APIC, IPS= emulated instructions per second. Bochs's screen is this terminal
# (Ctrl-C, then q, quits) and the serial log goes to $(BUILD)/bochs-$(ARCH)/serial.log;
# HEADLESS=1 prints the serial log here instead and stops at the kernel's exit
# line. docs/bochs.md says what Bochs can and cannot do.
APIC     ?= xapic
IPS      ?=
HEADLESS ?=
BENCH_FLAGS ?=

.PHONY: bochs bench
bochs: boot-build
ifneq ($(CMDLINE),)
	tools/mkiso --arch $(ARCH) --kernel $(BUILD)/kernel-$(ARCH).elf --out $(RUN_ISO) --cmdline "$(CMDLINE)"
endif
	@python3 tests/boot/bochs.py --arch $(ARCH) --cpus $(CPUS) --iso $(RUN_ISO) \
	  --out $(BUILD)/bochs-$(ARCH) $(if $(filter x2apic,$(APIC)),--x2apic) \
	  $(if $(IPS),--ips $(IPS)) $(if $(HEADLESS),--headless)

# make fuzz: the long fuzz run, 10^7 inputs per parser (RUNS=, FUZZ_JOBS=),
# executions and coverage in $(BUILD)/fuzz/results.md (docs/testing.md).
# FUZZ_FLAGS: more tools/fuzz options, e.g. "--only mb2,mp --until 06:30".
RUNS ?= 10000000
FUZZ_JOBS ?= 2
FUZZ_FLAGS ?=
.PHONY: fuzz
fuzz: configure
	tools/fuzz --build $(BUILD) --runs $(RUNS) --jobs $(FUZZ_JOBS) $(FUZZ_FLAGS)

# make bench: boot the benchmark set in QEMU (tens of minutes) and write
# $(BUILD)/bench/results.md, results.json and SVG pictures (docs/bench.md).
# BENCH_FLAGS=--short: the quick set that make test runs as bench.short.
bench: build
	tools/bench --build-dir $(BUILD) $(BENCH_FLAGS)

# make stress: boot test=all again and again (multi-threaded TCG, no -icount)
# beside a busy host process, the way a student's laptop runs it, and print
# N/20 with the run times. STRESS_FLAGS=--arch amd64 --smp 16 --runs 5 ...
STRESS_FLAGS ?=
.PHONY: stress
stress: build
	tools/stress --build-dir $(BUILD) $(STRESS_FLAGS)

# make grade LAB=05 [TEST=name]: build, boot the lab's configurations and score
# its tests (labs/README.md); failed tests keep their log in $(BUILD)/grade-logs/.
# In a student tree LAB= may be left out. make handin (in a student tree) packs
# the lab's hole files and answers.md for handing in.
# Course staff: make lab-export LAB=05 DEST=dir writes the student tree of lab 05
# (its holes stubbed, earlier labs solved, later labs as stand-ins; STAFF=1: every
# other lab solved); make grade-submission SUB=path grades a student tree, a
# hand-in archive or a folder of them on this tree's own tests (CSV and JSON).
LAB  ?=
TEST ?=
DEST ?=
SUB  ?=
STAFF ?=

.PHONY: grade lab-export grade-submission handin
grade: configure
	tools/grade --build $(BUILD) $(if $(LAB),--lab $(LAB)) $(if $(TEST),--test $(TEST))

grade-submission: configure
	@test -n "$(SUB)" || { echo "usage: make grade-submission SUB=dir-or-archive-or-folder [LAB=NN]"; exit 2; }
	tools/grade --build $(BUILD) --submission $(SUB) $(if $(LAB),--lab $(LAB)) $(if $(TEST),--test $(TEST))

handin:
	tools/handin

lab-export:
	@test -n "$(LAB)" -a -n "$(DEST)" || { echo "usage: make lab-export LAB=NN DEST=dir [STAFF=1]"; exit 2; }
	tools/lab-export --lab $(LAB) --dest $(DEST) $(if $(STAFF),--staff)
