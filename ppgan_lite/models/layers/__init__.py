"""Building blocks that more than one net uses: norms, weight init, spectral norm,
sizes, the U-GAT-IT blocks. Nets import from here, never from each other, so a
discriminator does not depend on a generator's module (docs/architecture.md)."""
