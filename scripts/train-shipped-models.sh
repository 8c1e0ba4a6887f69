#!/usr/bin/env bash
# Trains the shipped models from the public data sets in ../shared/data, exactly as shipped: brain, lung, then their ensembles.
# Usage: scripts/train-shipped-models.sh [brain|lung|ensembles|all]   (build first: mvn -B -q package -DskipTests)
# Each run writes models/<id>/ (model.json card with split, hyper-parameters, timings and test
# metrics; trunk.pt; head.bin; examples/) plus training_history.csv and test_predictions.csv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${MEDCNN_SHARED:-$here/../shared}"
base="$shared/models/imagenet-mobilenet-v2/features.pt"
which="${1:-all}"
# Let idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning threads of
# another process slow training several-fold.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ "$which" == brain || "$which" == all ]]; then
	# The stock Testing split is 64 % pixel-identical to Training: pool both and let the
	# leakage-aware split keep pixel-identical and near-identical images on one side.
	data="$shared/data/brain-tumor-mri-sartaj"
	{
		echo "path,label"
		(cd "$data" && find Training Testing -name '*.jpg' | LC_ALL=C sort | awk -F/ -v d="$data" '{printf "\"%s/%s\",%s\n", d, $0, $2}')
	} > "$tmp/brain.csv"
	"$here/bin/medcnn" train --data-csv "$tmp/brain.csv" --output-dir "$here/models/brain-tumor-mri" --model-id brain-tumor-mri \
		--modality MRI --base-model "$base" --intensity percentile:0.5:99.5 --epochs 6 --trainable-blocks 12 --patience 3 --seed 42 \
		--appearance-augmentation \
		--data-description "Sartaj Brain Tumor Classification (MRI), Training and Testing folders pooled: 3264 grey JPEGs (downscaled to at most 256 px), glioma/meningioma/notumor/pituitary; Bhuvaji et al. 2020, doi:10.34740/KAGGLE/DSV/1183165" \
		${MEDCNN_TRAIN_ARGS:-}
fi

if [[ "$which" == lung || "$which" == all ]]; then
	# No patient ids: slices of one patient carry consecutive case numbers, so files are grouped by
	# class and by runs of 20 consecutive numbers (plus near-duplicate merging), and each group stays
	# on one side of the split.
	"$here/bin/medcnn" train --data-dir "$shared/data/lung-ct-iq-othnccd" --output-dir "$here/models/lung-ct" --model-id lung-ct \
		--modality CT --base-model "$base" --intensity percentile:0.5:99.5 --epochs 8 --trainable-blocks 3 --patience 3 --seed 42 \
		--finetune-lr-factor 0.1 --validation-fraction 0.2 --test-fraction 0.2 --group-regex '^([a-z]+)/.*\((\d+)\)' --group-bin 20 \
		--data-description "IQ-OTH/NCCD lung cancer CT: 1097 grey JPEG slices, benign/malignant/normal, no patient ids; Alyasriy and AL-Huseiny, Mendeley Data, doi:10.17632/bhmdr45bh2" \
		${MEDCNN_TRAIN_ARGS:-}
fi

# (The brain model is trained with appearance augmentation: as accurate on its test part as without it, and far
# more robust under shifts; the lung model is not: it lost accuracy with it. README, "Out of distribution".)

# Ensembles: five heads on each trained model's trunk, on its own split; then the flag thresholds of
# every uncertainty mode, chosen on each package's validation part (they go into the cards).
if [[ "$which" == ensembles || "$which" == all ]]; then
	brain="$shared/data/brain-tumor-mri-sartaj"
	lung="$shared/data/lung-ct-iq-othnccd"
	"$here/bin/medcnn" calibrate-uncertainty --model "$here/models/brain-tumor-mri" --data-root "$brain" --modes mc_dropout,tta
	"$here/bin/medcnn" calibrate-uncertainty --model "$here/models/lung-ct" --data-root "$lung" --modes tta
	"$here/bin/medcnn" train-ensemble --base "$here/models/brain-tumor-mri" --data-root "$brain" --output "$here/models/brain-tumor-mri-ensemble" \
		--id brain-tumor-mri-ensemble --seeds 1,2,3,4,5 --overwrite
	"$here/bin/medcnn" calibrate-uncertainty --model "$here/models/brain-tumor-mri-ensemble" --data-root "$brain" --modes ensemble,mc_dropout,tta
	"$here/bin/medcnn" train-ensemble --base "$here/models/lung-ct" --data-root "$lung" --output "$here/models/lung-ct-ensemble" \
		--id lung-ct-ensemble --seeds 1,2,3,4,5 --overwrite
	"$here/bin/medcnn" calibrate-uncertainty --model "$here/models/lung-ct-ensemble" --data-root "$lung" --modes ensemble,mc_dropout,tta
fi

# The out-of-distribution detectors are fitted by train and train-ensemble; the figures on foreign data in the
# cards and the README come from scripts/fit-shipped-ood.sh (it refits them, the same way, and measures them).
# The saliency sanity sections of the cards: medcnn sanity with the command each card's sanity section states.
