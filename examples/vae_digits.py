"""A variational autoencoder on scikit-learn's 8x8 digits, in the style of PyTorch's VAE
example, with only the import changed.

    python examples/vae_digits.py            # 30 epochs
    python examples/vae_digits.py --quick    # CI: a few epochs, seconds

Reparameterised Gaussian latent, Bernoulli decoder, loss = BCE + KL divergence per image.
Logs ``f"{loss:.4f}"``, checkpoints with ``torch.save``/``torch.load`` and decodes samples
from the prior. Needs the ``examples`` extra (scikit-learn).
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import xgrad as torch
import xgrad.nn.functional as F
from xgrad import nn, optim
from xgrad.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    """64 -> 128 -> (mu, logvar) in R^latent -> 128 -> 64 Bernoulli means."""

    def __init__(self, latent: int = 8) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc21 = nn.Linear(128, latent)
        self.fc22 = nn.Linear(128, latent)
        self.fc3 = nn.Linear(latent, 128)
        self.fc4 = nn.Linear(128, 64)

    def encode(self, x: torch.Tensor):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    """Reconstruction BCE plus KL(q(z|x) || N(0, I)), summed over the batch."""
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="VAE on the sklearn digits")
    parser.add_argument("--quick", action="store_true", help="short run for CI")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="vae_out")
    args = parser.parse_args(argv)
    from sklearn.datasets import load_digits

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    epochs = args.epochs or (6 if args.quick else 30)
    images = (load_digits().images / 16.0).astype(np.float32)
    data = torch.tensor(images).to(device)
    n_test = len(data) // 5
    train_loader = DataLoader(TensorDataset(data[n_test:]), batch_size=args.batch_size,
                              shuffle=True)
    test_set = data[:n_test]

    model = VAE().to(device)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    n_train = len(data) - n_test

    def test_loss_of(m: VAE) -> torch.Tensor:
        m.eval()
        with torch.no_grad():
            recon, mu, logvar = m(test_set)
            return loss_function(recon, test_set, mu, logvar) / n_test

    print(f"====> Before training: Test set loss: {test_loss_of(model):.4f}")
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss = 0.0
        for (x,) in train_loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        print(f"====> Epoch: {epoch} Average loss: {train_loss / n_train:.4f}  "
              f"Test set loss: {test_loss_of(model):.4f}")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "vae.pt")
    torch.save({"epoch": epochs, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()}, path)
    checkpoint = torch.load(path)
    restored = VAE().to(device)
    restored.load_state_dict(checkpoint["model_state_dict"])
    reloaded = test_loss_of(restored)
    with torch.no_grad():
        sample = restored.decode(torch.randn(4, 8, device=device)).view(4, 8, 8)
    print(f"reloaded test loss {reloaded:.4f}")
    for row in range(8):  # four samples from the prior, as ASCII art
        print("  ".join("".join(" .:-=+*#%@"[int(v * 9.99)] for v in img[row].tolist())
                        for img in sample))


if __name__ == "__main__":
    main()
