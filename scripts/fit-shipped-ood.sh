#!/usr/bin/env bash
# Fits the out-of-distribution detectors of the shipped models (medcnn fit-ood) and measures them on the
# foreign data the README and the cards report, exactly as shipped. Build first: mvn -B -q package -DskipTests
# Usage: scripts/fit-shipped-ood.sh [SCRATCH_DIR]   (needs ../shared; downloads one Debian package for the
# natural photographs: python3-skimage, whose sample images are used, not its code)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${MEDCNN_SHARED:-$here/../shared}"
work="${1:-$(mktemp -d)}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
brain="$shared/data/brain-tumor-mri-sartaj"
lung="$shared/data/lung-ct-iq-othnccd"
samples="$shared/data/reader-samples"
f="$work/foreign"
mkdir -p "$f"/{brain-mri,lung-ct,chest-xray,natural-images,mr-reader-samples,ct-reader-samples}

# The other model's data: every brain MRI slice for the lung models, every lung CT slice for the brain models.
(cd "$brain" && find Training Testing -name '*.jpg' | LC_ALL=C sort) | while read -r p; do ln -sf "$brain/$p" "$f/brain-mri/${p//\//_}"; done
(cd "$lung" && find . -name '*.jpg' | LC_ALL=C sort) | while read -r p; do p="${p#./}"; ln -sf "$lung/$p" "$f/lung-ct/${p//\//_}"; done
# The 624 PneumoniaMNIST test chest X-rays (28 x 28), written as 8-bit PNGs.
python3 - "$shared/data/pneumoniamnist/pneumoniamnist.npz" "$f/chest-xray" <<'PY'
import struct, sys, zlib
import numpy as np
d = np.load(sys.argv[1])
def chunk(t, b):
    return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
for i, a in enumerate(d['test_images']):
    h, w = a.shape
    raw = b''.join(b'\x00' + a[r].tobytes() for r in range(h))
    with open(f'{sys.argv[2]}/test_{i:04d}.png', 'wb') as out:
        out.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
PY
# Natural photographs: scikit-image's sample images from Debian's package, and the ImageNet check image.
(cd "$work" && apt-get download python3-skimage >/dev/null && dpkg-deb -x python3-skimage_*.deb skimage)
for p in "$work"/skimage/usr/lib/python3/dist-packages/skimage/data/*.{png,jpg} "$shared/models/imagenet-mobilenet-v2/check-cat.jpg"; do
	ln -sf "$p" "$f/natural-images/"
done
# The reader samples that are not of a model's kind: MR for the lung models, CT for the brain models.
for p in "$samples"/dicom/mr-*/* "$samples"/nifti/*.nii "$samples"/nifti/*.nii.gz; do ln -sf "$p" "$f/mr-reader-samples/$(basename "$(dirname "$p")")_$(basename "$p")"; done
for p in "$samples"/dicom/ct-*/*; do ln -sf "$p" "$f/ct-reader-samples/$(basename "$p")"; done

for m in lung-ct lung-ct-ensemble; do
	"$here/bin/medcnn" fit-ood --model "$here/models/$m" --data-root "$lung" --foreign brain-mri="$f/brain-mri" --foreign chest-xray="$f/chest-xray" \
		--foreign natural-images="$f/natural-images" --foreign mr-reader-samples="$f/mr-reader-samples"
done
for m in brain-tumor-mri brain-tumor-mri-ensemble; do
	"$here/bin/medcnn" fit-ood --model "$here/models/$m" --data-root "$brain" --foreign lung-ct="$f/lung-ct" --foreign chest-xray="$f/chest-xray" \
		--foreign natural-images="$f/natural-images" --foreign ct-reader-samples="$f/ct-reader-samples"
done
