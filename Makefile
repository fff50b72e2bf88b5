# SPDX-License-Identifier: GPL-2.0
#
# kvm-viommu: out-of-tree module build and the project's entry points.
#
#   make [KDIR=<kernel build tree>] [VFIO_PRIV=<dir>]   build kvm_viommu.ko
#   make check     style gates, builds for Debian 6.12 and 7.2, VM selftests
#   make demo      boot a VM and walk through guest table -> device DMA
#   make fuzz      fuzz every guest table decoder, FUZZ_TIME s each (60)
#   make bench     type1 vs kvm-viommu, ratios in one boot (results/)
#   make clean
#
# VFIO_PRIV names a directory D holding D/drivers/vfio/vfio.h from the source
# of exactly the kernel in KDIR (not needed when KDIR is a full source tree).

KDIR ?= /lib/modules/$(shell uname -r)/build
VFIO_PRIV ?=

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(VFIO_PRIV),VFIO_PRIV=$(VFIO_PRIV)) modules

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

FUZZ_TIME ?= 60
fuzz:
	scripts/vm/host-deps.sh
	$(MAKE) -C tools/testing/viommu_fmt OUTPUT=$(CURDIR)/build/fuzz \
		FUZZ_TIME=$(FUZZ_TIME) fuzz

clean:
	rm -rf build
	find . -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name 'Module.symvers' \
		| grep -v '^./.git' | xargs rm -f

.PHONY: all modules check demo bench fuzz clean
