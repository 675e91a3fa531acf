"""A small DCGAN on scikit-learn's 8x8 digits, in the style of PyTorch's DCGAN example, with
only the import changed.

    python examples/dcgan_digits.py            # 60 epochs
    python examples/dcgan_digits.py --quick    # CI: a few epochs, seconds

Transposed-convolution generator, strided-convolution discriminator, BatchNorm, LeakyReLU,
``BCELoss`` with real/fake labels and Adam(beta1=0.5), as the original. GAN losses do not
fall steadily, so progress is measured as a distance between generated and real images: the
Fréchet distance of their pixel statistics (mean and covariance), printed before and after
training. Checkpoints with ``torch.save``/``torch.load``. Needs scikit-learn.
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import xgrad as torch
from xgrad import nn, optim
from xgrad.utils.data import DataLoader, TensorDataset

nz, ngf, ndf = 16, 32, 32


class Generator(nn.Module):
    """z (nz, 1, 1) -> (ngf*2, 2, 2) -> (ngf, 4, 4) -> (1, 8, 8) in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 2, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class Discriminator(nn.Module):
    """(1, 8, 8) -> (ndf, 4, 4) -> (ndf*2, 2, 2) -> probability of "real"."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def weights_init(m: nn.Module) -> None:
    """DCGAN's init: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of flattened images."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(ca)
    sqrt_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.linalg.eigvalsh(sqrt_a @ cb @ sqrt_a)
    trace_sqrt = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * trace_sqrt)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="DCGAN on the sklearn digits")
    parser.add_argument("--quick", action="store_true", help="short run for CI")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--seed", type=int, default=999)
    parser.add_argument("--out", default="dcgan_out")
    args = parser.parse_args(argv)
    from sklearn.datasets import load_digits

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    epochs = args.epochs or (8 if args.quick else 60)
    images = (load_digits().images / 8.0 - 1.0).astype(np.float32)[:, None]  # [-1, 1]
    dataloader = DataLoader(TensorDataset(torch.tensor(images).to(device)),
                            batch_size=args.batch_size, shuffle=True, drop_last=True)
    real_flat = images.reshape(len(images), -1)

    netG, netD = Generator().to(device), Discriminator().to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(500, nz, 1, 1, device=device)
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=args.lr, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=args.lr, betas=(0.5, 0.999))

    def fid() -> float:
        netG.eval()
        with torch.no_grad():
            fake = netG(fixed_noise).view(len(fixed_noise), -1).cpu().numpy()
        netG.train()
        return frechet_distance(fake, real_flat)

    print(f"initial pixel FD {fid():.4f}")
    for epoch in range(epochs):
        for (real,) in dataloader:
            # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            b_size = real.size(0)
            label = torch.full((b_size,), real_label, dtype=real.dtype, device=device)
            output = netD(real)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.randn(b_size, nz, 1, 1, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            errD = errD_real + errD_fake
            optimizerD.step()
            # (2) update G: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z = output.mean().item()
            optimizerG.step()
        print(f"[{epoch + 1}/{epochs}] Loss_D: {errD:.4f} Loss_G: {errG:.4f} "
              f"D(x): {D_x:.4f} D(G(z)): {D_G_z:.4f} pixel FD {fid():.4f}")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "netG.pt")
    torch.save({"netG": netG.state_dict(), "netD": netD.state_dict(),
                "optimizerG": optimizerG.state_dict()}, path)
    restored = Generator().to(device)
    restored.load_state_dict(torch.load(path)["netG"])
    netG = restored
    print(f"final pixel FD {fid():.4f}")


if __name__ == "__main__":
    main()
