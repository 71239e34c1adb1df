"""stepgrad's network library, built only from autograd Values."""
