"""Silhouette -> 3D reconstruction in the style of Mesh-Gait.

Public API (import from the submodules):
- `api.load_reconstructor(path)`, `api.reconstruct_sequence(model, frames, view_deg=None)` -> joints, markers,
  body-frame 3D heatmaps, anny pose/phenotypes and mesh; `api.prepare_frames` (input checks / pretreatment);
- `train.train(config, data, out_dir, max_steps=None)` (configs/reconstruction/small.yaml);
- `export.write_reconstruction(out_dir, result)`; `novel_view.render_novel_views(vertices, faces, views)`;
- `evaluate.joint_errors`, `evaluate.novel_view_iou`; `smpl_fit.fit_smpl` (SMPL output when the user has SMPL);
- `features3d.sequence_keypoints` / `keypoint_volumes` (3D inputs for `eval.models.fused_recognizer`);
- `batch.reconstruct_path(source, out, ...)`: every sequence of a path, written out (`gaitcraft mesh reconstruct`).

View labels become cameras on the side of the walker their tree was filmed from (`mesh.view_convention`: a
procedural tree's walker version, else CASIA-B's side); the network itself works on the right-side orbit.
A model knows the side its training walkers were filmed from (meta `camera_side`); `api.reconstruct_sequence`
reconstructs a sequence filmed from the other side as its mirror image and mirrors the outputs back
(`mirror`: the left/right maps of joints, bones, vertices, cells and volumes).
"""
