"""PaddleGAN's own config files as published, for tests that prove they load and train
in ppgan_lite with nothing changed but their data paths (``with_data``)."""

# configs/dcgan_mnist.yaml (its 'Transfroms' typo included)
DCGAN_MNIST = """\
epochs: 200
output_dir: output_dir

model:
  name: DCGANModel
  generator:
    name: DCGenerator
    norm_type: batch
    input_nz: 100
    input_nc: 1
    output_nc: 1
    ngf: 64
  discriminator:
    name: DCDiscriminator
    norm_type: batch
    ndf: 64
    input_nc: 1
  gan_criterion:
    name: GANLoss
    gan_mode: vanilla

dataset:
  train:
    name: SingleDataset
    dataroot: data/mnist/train
    batch_size: 128
    preprocess:
      - name: LoadImageFromFile
        key: A
      - name: Transfroms
        input_keys: [A]
        pipeline:
          - name: Resize
            size: [64, 64]
            interpolation: 'bicubic' #cv2.INTER_CUBIC
            keys: [image, image]
          - name: Transpose
            keys: [image, image]
          - name: Normalize
            mean: [127.5, 127.5, 127.5]
            std: [127.5, 127.5, 127.5]
            keys: [image, image]
  test:
    name: SingleDataset
    dataroot: data/mnist/test
    preprocess:
      - name: LoadImageFromFile
        key: A
      - name: Transforms
        input_keys: [A]
        pipeline:
          - name: Resize
            size: [64, 64]
            interpolation: 'bicubic' #cv2.INTER_CUBIC
            keys: [image, image]
          - name: Transpose
            keys: [image, image]
          - name: Normalize
            mean: [127.5, 127.5, 127.5]
            std: [127.5, 127.5, 127.5]
            keys: [image, image]

lr_scheduler:
  name: LinearDecay
  learning_rate: 0.0002
  start_epoch: 100
  decay_epochs: 100
  # will get from real dataset
  iters_per_epoch: 1

optimizer:
  optimizer_G:
    name: Adam
    net_names:
      - netG
    beta1: 0.5
  optimizer_D:
    name: Adam
    net_names:
      - netD
    beta1: 0.5

log_config:
  interval: 100
  visiual_interval: 500

snapshot_config:
  interval: 5
"""

# configs/ugatit_photo2cartoon.yaml
UGATIT_PHOTO2CARTOON = """\
epochs: 300
output_dir: output_dir

model:
  name: UGATITModel
  generator:
    name: ResnetUGATITP2CGenerator
    input_nc: 3
    output_nc: 3
    ngf: 32
    n_blocks: 4
    img_size: 256
    light: True
  discriminator_g:
    name: UGATITDiscriminator
    input_nc: 3
    ndf: 32
    n_layers: 7
  discriminator_l:
    name: UGATITDiscriminator
    input_nc: 3
    ndf: 32
    n_layers: 5
  l1_criterion:
    name: L1Loss
  mse_criterion:
    name: MSELoss
  bce_criterion:
    name: BCEWithLogitsLoss
  adv_weight: 1.0
  cycle_weight: 50.0
  identity_weight: 10.0
  cam_weight: 1000.0

dataset:
  train:
    name: UnpairedDataset
    dataroot_a: data/photo2cartoon/trainA
    dataroot_b: data/photo2cartoon/trainB
    num_workers: 0
    batch_size: 1
    is_train: True
    max_size: inf
    preprocess:
      - name: LoadImageFromFile
        key: A
      - name: LoadImageFromFile
        key: B
      - name: Transforms
        input_keys: [A, B]
        pipeline:
          - name: Resize
            size: [286, 286]
            interpolation: 'bicubic' #cv2.INTER_CUBIC
            keys: ['image', 'image']
          - name: RandomCrop
            size: [256, 256]
            keys: ['image', 'image']
          - name: RandomHorizontalFlip
            prob: 0.5
            keys: ['image', 'image']
          - name: Transpose
            keys: ['image', 'image']
          - name: Normalize
            mean: [127.5, 127.5, 127.5]
            std: [127.5, 127.5, 127.5]
            keys: ['image', 'image']
  test:
    name: UnpairedDataset
    dataroot_a: data/photo2cartoon/testA
    dataroot_b: data/photo2cartoon/testB
    num_workers: 0
    batch_size: 1
    max_size: inf
    is_train: False
    preprocess:
      - name: LoadImageFromFile
        key: A
      - name: LoadImageFromFile
        key: B
      - name: Transforms
        input_keys: [A, B]
        pipeline:
          - name: Resize
            size: [256, 256]
            interpolation: 'bicubic' #cv2.INTER_CUBIC
            keys: ['image', 'image']
          - name: Transpose
            keys: ['image', 'image']
          - name: Normalize
            mean: [127.5, 127.5, 127.5]
            std: [127.5, 127.5, 127.5]
            keys: ['image', 'image']

lr_scheduler:
  name: LinearDecay
  learning_rate: 0.0001
  start_epoch: 150
  decay_epochs: 150
  # will get from real dataset
  iters_per_epoch: 1

optimizer:
  optimG:
    name: Adam
    net_names:
      - genA2B
      - genB2A
    weight_decay: 0.0001
    beta1: 0.5
  optimD:
    name: Adam
    net_names:
      - disGA
      - disGB
      - disLA
      - disLB
    weight_decay: 0.0001
    beta1: 0.5

log_config:
  interval: 10
  visiual_interval: 500

snapshot_config:
  interval: 30
"""


def with_data(text, root):
    """The config text with its data folder (data/mnist, data/photo2cartoon) at root."""
    for folder in ("data/mnist", "data/photo2cartoon"):
        text = text.replace(folder, str(root))
    return text
