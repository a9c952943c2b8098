"""Live demos: each module declares a demo; ``registry`` lists them; ``runner`` runs them."""
