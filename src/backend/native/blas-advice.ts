import type { NativeBuildInfo } from './addon.js';

/** How to get OpenBLAS on `platform` (process.platform), for native/build.mjs to link. */
export function openblasInstallHint(platform: string = process.platform): string {
  const install = platform === 'linux'
    ? 'install OpenBLAS (Debian/Ubuntu: sudo apt-get install libopenblas-dev; Fedora: sudo dnf install openblas-devel)'
    : 'install an OpenBLAS that `cc ... -lopenblas` links (cblas.h on the include path)';
  return `${install}, then rebuild native: npm rebuild condense (in a checkout: node native/build.mjs)`;
}

/**
 * Whether a faster BLAS would speed up native's matrix products, judged from the build: OpenBLAS
 * linked, or the portable GEMM's AVX-512 kernel (within ~0.8-1.2x of OpenBLAS 0.3.21's sgemm on
 * 256-1024 products, bench/gemm.mjs): nothing to gain. The AVX2 kernel reaches about 0.5-0.7x
 * (OpenBLAS has AVX-512 kernels where the CPU has them) and the plain C one about 0.2x. Returns
 * a one-line hint, or undefined when there is nothing to gain.
 */
export function blasAdvice(build: Pick<NativeBuildInfo, 'blas' | 'blasCore'>, platform?: string): string | undefined {
  if (build.blas !== 'portable') return undefined;
  if (build.blasCore === 'avx512') return undefined;
  const what = build.blasCore === 'avx2'
    ? 'the portable GEMM runs its AVX2 kernel here; OpenBLAS is up to ~2x faster on large matrix products'
    : `the portable GEMM runs its plain C kernel here${build.blasCore ? ` (${build.blasCore})` : ''}; OpenBLAS is several times faster`;
  return `${what}: ${openblasInstallHint(platform)}`;
}
