"""Model interpretation: attention maps, Jacobians, contribution scores and motif discovery."""
