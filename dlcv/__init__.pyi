# The public API of `dlcv`, in one place. Type checkers and IDEs read these
# imports; at run time dlcv/__init__.py hands this file to lazy_loader, which serves
# each name from its module on first use. A name added here becomes public: add it to
# the list in tests/dlcv/test_api.py as well.

__version__: str

from .attention import (
    extract_patches as extract_patches,
    multi_head_self_attention as multi_head_self_attention,
    scaled_dot_product_attention as scaled_dot_product_attention,
)
from .bench import (
    measure_bandwidth as measure_bandwidth,
    run_benchmarks as run_benchmarks,
    time_conv2d as time_conv2d,
    time_matmul as time_matmul,
)
from .bench_report import (
    BenchReport as BenchReport,
    Measurement as Measurement,
    format_report as format_report,
    report_from_json as report_from_json,
    report_to_json as report_to_json,
)
from .blocks import (
    apply_bottleneck_block as apply_bottleneck_block,
    apply_conv_bn as apply_conv_bn,
    apply_inverted_residual_block as apply_inverted_residual_block,
    apply_residual_block as apply_residual_block,
    apply_separable_block as apply_separable_block,
    apply_squeeze_excite as apply_squeeze_excite,
    apply_upsample_block as apply_upsample_block,
    apply_vgg_block as apply_vgg_block,
)
from .calibration import (
    apply_temperature as apply_temperature,
    expected_calibration_error as expected_calibration_error,
    fit_temperature as fit_temperature,
    reliability_bins as reliability_bins,
)
from .compression import (
    dequantize_int8 as dequantize_int8,
    distillation_loss as distillation_loss,
    magnitude_prune as magnitude_prune,
    quantize_int8 as quantize_int8,
    weight_bytes as weight_bytes,
)
from .contrastive import (
    make_views as make_views,
    nt_xent_loss as nt_xent_loss,
)
from .data import (
    ImageFolder as ImageFolder,
    ImageFolderError as ImageFolderError,
    ImageIssue as ImageIssue,
    ShardError as ShardError,
    ShardProblem as ShardProblem,
    ShardReport as ShardReport,
    check_shards as check_shards,
    load_digits_images as load_digits_images,
    make_batches as make_batches,
    make_dataset as make_dataset,
    make_folder_dataset as make_folder_dataset,
    read_shards as read_shards,
    scan_image_folder as scan_image_folder,
    split_train_test as split_train_test,
    split_train_val_test as split_train_val_test,
    write_shards as write_shards,
)
from .detection import (
    BOX_FORMATS as BOX_FORMATS,
    average_precision as average_precision,
    box_iou as box_iou,
    class_average_precisions as class_average_precisions,
    convert_boxes as convert_boxes,
    make_anchors as make_anchors,
    match_detections as match_detections,
    mean_average_precision as mean_average_precision,
    non_max_suppression as non_max_suppression,
)
from .generative import (
    diffusion_reverse_step as diffusion_reverse_step,
    forward_noise as forward_noise,
    gaussian_kl_divergence as gaussian_kl_divergence,
    gaussian_reparameterize as gaussian_reparameterize,
    linear_noise_schedule as linear_noise_schedule,
)
from .hardware import (
    DeviceInfo as DeviceInfo,
    HardwareInfo as HardwareInfo,
    Setup as Setup,
    describe_hardware as describe_hardware,
    format_hardware as format_hardware,
    local_tf_configs as local_tf_configs,
    pick_precision as pick_precision,
    pick_strategy as pick_strategy,
    setup_hardware as setup_hardware,
)
from .interpret import (
    FaceClassifier as FaceClassifier,
    grad_cam as grad_cam,
    overlay_heatmap as overlay_heatmap,
    train_face_classifier as train_face_classifier,
    upsample_heatmap as upsample_heatmap,
    visualize_filter as visualize_filter,
)
from .optimizers import (
    adam_update as adam_update,
    adamw_update as adamw_update,
    sgd_update as sgd_update,
    warmup_cosine_decay as warmup_cosine_decay,
)
from .plot import (
    read_alt_text as read_alt_text,
    save_figure as save_figure,
    use_style as use_style,
)
from .probing import (
    ProbeResult as ProbeResult,
    count_parameters as count_parameters,
    fit_linear_probe as fit_linear_probe,
    layer_outputs as layer_outputs,
    probe_layers as probe_layers,
)
from .profiling import (
    LayerProfile as LayerProfile,
    Profile as Profile,
    format_profile as format_profile,
    profile as profile,
)
from .receptive_fields import (
    ReceptiveField as ReceptiveField,
    ReceptiveFieldStep as ReceptiveFieldStep,
    format_receptive_field as format_receptive_field,
    receptive_field as receptive_field,
)
from .robustness import (
    fgsm as fgsm,
    gaussian_blur as gaussian_blur,
    gaussian_noise as gaussian_noise,
    pgd as pgd,
)
from .roofline import (
    CPUPeak as CPUPeak,
    estimate_cpu_peak as estimate_cpu_peak,
    plot_roofline as plot_roofline,
)
from .segmentation import (
    SHAPE_KINDS as SHAPE_KINDS,
    SegmentationScores as SegmentationScores,
    dice_coefficient as dice_coefficient,
    make_shapes_masks as make_shapes_masks,
    mask_iou as mask_iou,
    pixel_confusion_matrix as pixel_confusion_matrix,
)
from .training import (
    History as History,
    digits_convnet as digits_convnet,
    digits_mlp as digits_mlp,
    evaluate as evaluate,
    train as train,
)
from .video import (
    MovingClips as MovingClips,
    apply_per_frame as apply_per_frame,
    make_clip_dataset as make_clip_dataset,
    make_moving_clips as make_moving_clips,
)
